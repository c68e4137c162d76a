"""User-written SQL fragments (a KPI's filter) parsed and allow-listed before they run.

A fragment must be one scalar expression over the KPI table's own columns: comparisons,
boolean logic, arithmetic, literals and a short list of harmless functions. No statements, no
subqueries, no table functions, nothing that can read or write a file.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

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
        statements = sqlglot.parse(text, dialect="duckdb")
    except ParseError as err:
        raise FragmentError(f"is not valid SQL: {_first_line(err)}") from err
    if len(statements) != 1 or statements[0] is None:
        raise FragmentError("must be one SQL condition, not several statements")
    tree = statements[0]
    if isinstance(tree, (exp.Query, exp.Command, exp.Create, exp.Insert, exp.Delete, exp.Update)):
        raise FragmentError("must be a condition such as \"channel <> 'store'\", not a statement")
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


def _first_line(err: ParseError) -> str:
    return str(err).splitlines()[0]
