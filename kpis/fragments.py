"""User-written SQL fragments (a KPI's filter) parsed and allow-listed before they run.

A fragment must be one scalar expression over the KPI table's own columns: comparisons,
boolean logic, arithmetic, literals and a short list of harmless functions. No statements, no
subqueries, no table functions, nothing that can read or write a file.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Tuple,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Neg,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Length,
    exp.Abs,
    exp.Round,
    exp.Interval,
    exp.Var,
    exp.DPipe,
    exp.Concat,
    exp.Extract,
    exp.DateTrunc,
    exp.TimestampTrunc,
    exp.CurrentDate,
    exp.Year,
    exp.Month,
    exp.Quarter,
    exp.DayOfWeek,
    exp.DataTypeParam,
    exp.Anonymous,
)
_ALLOWED_FUNCTIONS = {"starts_with", "ends_with", "contains", "nullif", "greatest", "least"}
_AGGREGATES: tuple[type[exp.Expr], ...] = (
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.Median,
    exp.Stddev,
    exp.StddevSamp,
    exp.Variance,
    exp.Distinct,
    exp.Filter,
    exp.Where,
    exp.Star,
)


_STATEMENT_STARTS = {
    TokenType.SELECT,
    TokenType.WITH,
    TokenType.INSERT,
    TokenType.UPDATE,
    TokenType.DELETE,
    TokenType.CREATE,
    TokenType.DROP,
    TokenType.ALTER,
    TokenType.COPY,
    TokenType.ATTACH,
    TokenType.DETACH,
    TokenType.INSTALL,
    TokenType.LOAD,
    TokenType.SET,
    TokenType.PRAGMA,
    TokenType.EXECUTE,
    TokenType.USE,
    TokenType.COMMAND,
}


class FragmentError(ValueError):
    """A fragment that is not a single allowed expression; the message says what to change."""


def parse_condition(text: str) -> exp.Expr:
    """Parse a filter such as `channel <> 'store' AND nps IS NOT NULL`, or raise FragmentError."""
    tree = _parse(text, _ALLOWED_NODES)
    if tree.find(exp.AggFunc):
        raise FragmentError("is a row condition and may not use aggregates such as count() or sum()")
    return tree


def parse_aggregate(text: str) -> exp.Expr:
    """Parse a custom KPI's aggregate such as `count(*) FILTER (WHERE csat >= 4)`, or raise FragmentError."""
    tree = _parse(text, _ALLOWED_NODES + _AGGREGATES)
    if tree.find(exp.AggFunc) is None:
        raise FragmentError("must aggregate the rows, e.g. count(*), sum(x) or avg(x)")
    return tree


def _parse(text: str, allowed: tuple[type[exp.Expr], ...]) -> exp.Expr:
    try:
        tokens = sqlglot.tokenize(text, dialect="duckdb")
    except TokenError as err:
        raise FragmentError(f"is not valid SQL: {_unclosed(err)}") from err
    ends = [index for index, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if any(index < len(tokens) - 1 for index in ends):
        raise FragmentError("must be one SQL condition, not several statements")
    try:
        # Parsed as an expression, not a statement: a column named like a keyword (`comment`,
        # `desc`) is a column here, where a statement parser would take `comment ...` for COMMENT ON.
        tree = sqlglot.parse_one(text, dialect="duckdb", into=exp.Condition)
    except ParseError as err:
        if tokens and tokens[0].token_type in _STATEMENT_STARTS:
            raise FragmentError("must be a condition such as \"channel <> 'store'\", not a statement") from err
        raise FragmentError(f"is not valid SQL: {_first_line(err)}") from err
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and node.name.lower() not in _ALLOWED_FUNCTIONS:
            raise FragmentError(
                f"may not call {node.name}(); allowed functions: "
                f"lower, upper, trim, coalesce, abs, round, {', '.join(sorted(_ALLOWED_FUNCTIONS))}"
            )
        if not isinstance(node, allowed):
            raise FragmentError(
                f"may not use {node.key.upper()} here ({node.sql('duckdb')[:60]!r}); "
                "only comparisons, AND/OR/NOT, arithmetic and simple functions"
            )
        if isinstance(node, exp.Column) and node.table:
            raise FragmentError(f"{node.sql('duckdb')!r}: refer to columns by name only, without a table")
    return tree


def columns_of(tree: exp.Expr) -> set[str]:
    return {column.name for column in tree.find_all(exp.Column)}


def _unclosed(err: TokenError) -> str:
    if "/*" in str(err):
        return "a /* comment is never closed with */"
    return "an unclosed quote or comment"


def _first_line(err: ParseError) -> str:
    return str(err).splitlines()[0]
