"""Small sqlglot helpers for the SQL the connectors send to DuckDB.

Paths, names and options reach DuckDB as quoted literals and identifiers built here, never by
pasting text into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

Value = str | int | float | bool | None | Sequence["Value"] | Mapping[str, "Value"]


def literal(value: Value) -> exp.Expr:
    """A Python value as a DuckDB literal: text, number, boolean, list or struct."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, Mapping):
        return exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier(key, quoted=True), expression=literal(item))
                for key, item in value.items()
            ]
        )
    return exp.Array(expressions=[literal(item) for item in value])


def named_args(options: Mapping[str, Value]) -> list[exp.Expr]:
    """`name = value` arguments of a DuckDB table function such as read_csv."""
    return [
        exp.EQ(this=exp.column(name), expression=literal(value)) for name, value in options.items() if value is not None
    ]


def table(name: str, schema: str | None = None) -> exp.Table:
    db = exp.to_identifier(schema, quoted=True) if schema is not None else None
    return exp.table_(exp.to_identifier(name, quoted=True), db=db)


def column(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def to_sql(expression: exp.Expr) -> str:
    return expression.sql(dialect="duckdb")


def drop_table(name: str, schema: str | None = None) -> str:
    return to_sql(exp.Drop(tables=[table(name, schema)], kind="TABLE", exists=True))
