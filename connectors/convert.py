"""From staged values to the declared types, and the checks each value must pass, as SQL.

A reader stages what it read in whatever types it got (text from a spreadsheet, DOUBLE from a
CSV's number column, Postgres' own types through Arrow). Here each column becomes one expression
converting it to its declared type, and one giving why a row is refused ('' when it passes): a
value that does not convert is a reject with a reason, never a crash and never a silent NULL.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from connectors import sql
from connectors.columns import ColumnSpec

TEXT_TYPES = {"VARCHAR", "TEXT", "STRING", "JSON"}
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, dialect="duckdb")


def _ident(name: str) -> str:
    return sql.column(name).sql(dialect="duckdb")


def _lit(value: sql.Value) -> str:
    return sql.literal(value).sql(dialect="duckdb")


def conversion(target: str, column: ColumnSpec, staged_type: str) -> tuple[exp.Expr, exp.Expr | None]:
    """(converted value, why it did not convert or NULL) for column `target` staged as `staged_type`."""
    ref = _ident(target)
    wanted = column.duckdb_type
    staged = staged_type.upper()
    if staged == wanted:
        return parse(ref), None
    if column.type == "varchar":
        return parse(f"CAST({ref} AS VARCHAR)"), None
    is_text = staged in TEXT_TYPES
    text = f"json_extract_string({ref}, '$')" if staged == "JSON" else f"CAST({ref} AS VARCHAR)"
    value = f"NULLIF(trim({text}), '')" if is_text else ref
    converted = _convert(value, column, staged, is_text=is_text)
    article = "an" if column.type[0] in "aeiou" else "a"
    expected = f"{article} {column.type}"
    if column.formats:
        expected += f" in format {' or '.join(column.formats)}"
    why = parse(
        f"CASE WHEN {value} IS NOT NULL AND ({converted}) IS NULL THEN "
        f"{_lit(target + ': ')} || CAST({value} AS VARCHAR) || {_lit(' is not ' + expected)} END"
    )
    return parse(converted), why


def _convert(value: str, column: ColumnSpec, staged: str, *, is_text: bool) -> str:
    if column.type == "integer":
        if staged in INTEGER_TYPES:
            return f"TRY_CAST({value} AS BIGINT)"
        number = f"TRY_CAST({value} AS DOUBLE)" if is_text else f"CAST({value} AS DOUBLE)"
        # DuckDB rounds 7.5 to 8 when casting to an integer: refuse fractions instead.
        whole = f"CASE WHEN {number} = trunc({number}) THEN TRY_CAST({number} AS BIGINT) END"
        if is_text:  # keep large integers exact: do not route them through DOUBLE
            return (
                f"CASE WHEN regexp_full_match({value}, '[+-]?[0-9]+') THEN TRY_CAST({value} AS BIGINT) ELSE {whole} END"
            )
        return whole
    if column.formats and is_text and column.type in ("date", "timestamp"):
        # One try_strptime per format: given a list, DuckDB 2.0 carries one row's UTC offset over
        # to the next row that matches a format without %z (seen on 2.0.0).
        tries = [f"TRY_CAST(try_strptime({value}, {_lit(fmt)}) AS {column.duckdb_type})" for fmt in column.formats]
        return tries[0] if len(tries) == 1 else f"COALESCE({', '.join(tries)})"
    return f"TRY_CAST({value} AS {column.duckdb_type})"


def check_reasons(target: str, column: ColumnSpec, value: exp.Expr, *, required: bool) -> list[exp.Expr]:
    """Why a converted `value` fails the column's checks: one CASE per check, NULL when it passes."""
    reasons: list[exp.Expr] = []
    as_text = exp.cast(value.copy(), "VARCHAR")
    if required:
        reasons.append(_when(exp.Is(this=value.copy(), expression=exp.null()), f"{target}: blank, but required"))
    bounds: list[exp.Expr] = []
    if column.min is not None:
        bounds.append(exp.LT(this=value.copy(), expression=exp.Literal.number(column.min)))
    if column.max is not None:
        bounds.append(exp.GT(this=value.copy(), expression=exp.Literal.number(column.max)))
    if bounds:
        span = f"{_number(column.min)}..{_number(column.max)}"
        reasons.append(_when(exp.or_(*bounds), _message(target, as_text, f" is outside {span}")))
    if column.allowed is not None:
        allowed = [exp.Literal.string(v) for v in column.allowed]
        outside = exp.not_(exp.In(this=as_text.copy(), expressions=allowed))
        reasons.append(_when(outside, _message(target, as_text, f" is not one of {', '.join(column.allowed)}")))
    return reasons


def joined(reasons: list[exp.Expr]) -> exp.Expr:
    """All reasons a row fails, separated by '; ' ('' when it passes)."""
    if not reasons:
        return exp.Literal.string("")
    # Anonymous: sqlglot would otherwise rewrite concat_ws into a NULL-propagating CASE.
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string("; "), *reasons])


def _message(target: str, as_text: exp.Expr, tail: str) -> exp.Expr:
    return exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string(f"{target}: "), expression=as_text.copy()),
        expression=exp.Literal.string(tail),
    )


def _when(condition: exp.Expr, message: exp.Expr | str) -> exp.Expr:
    then = exp.Literal.string(message) if isinstance(message, str) else message
    return exp.Case(ifs=[exp.If(this=condition, true=then)])


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
