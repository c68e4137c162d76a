"""Staging for readers whose data DuckDB scans as a table: Parquet, JSON, and Arrow from drivers.

The reader names what to scan (a table function such as read_parquet, or an Arrow table or
stream it registered) and the columns it has; this selects the mapped columns under their target
names into the staging table. Conversion to the declared types is the loader's job, so a value
that does not convert is a reject with its row number, never a failed load.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
from sqlglot import exp

from connectors import sql
from connectors.base import SourceBase, StagedInput
from connectors.files import missing_column
from core.errors import ConnectorError

LINE_COLUMN = "_line"


def stage_scan(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: SourceBase,
    *,
    where: str,
    scan: exp.Expr,
    available: Sequence[str],
    staging_table: str,
    first_line: int = 1,
    line_column: str | None = None,
) -> StagedInput:
    """Select the source's mapped columns from `scan` into `staging_table`.

    `where` names the input in messages ("cases.sqlite table cases"); `available` are the column
    names `scan` has; rows are numbered from `first_line` unless `line_column` gives each row's number.
    """
    selected: list[exp.Expr] = []
    for target, column in spec.columns.items():
        source = column.source_name(target)
        if source not in available:
            raise ConnectorError(missing_column(name, where, source, available))
        selected.append(exp.alias_(sql.column(source), exp.to_identifier(target, quoted=True)))
    if line_column is not None:
        selected.append(exp.alias_(sql.column(line_column), LINE_COLUMN))
    create = exp.Create(
        this=sql.table(staging_table),
        kind="TABLE",
        expression=exp.select(*selected).from_(scan),
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    con.execute(sql.to_sql(create))
    rows = con.execute(sql.to_sql(exp.select("count(*)").from_(sql.table(staging_table)))).fetchall()
    return StagedInput(
        staging_table=staging_table,
        rows_read=int(rows[0][0]),
        first_data_line=first_line,
        has_line_column=line_column is not None,
    )


def scan_columns(con: duckdb.DuckDBPyConnection, scan: exp.Expr) -> list[str]:
    """Column names of a scan, without reading it all."""
    rows = con.execute("DESCRIBE " + sql.to_sql(exp.select("*").from_(scan))).fetchall()
    return [str(row[0]) for row in rows]


def table_function(function: str, path: str, options: dict[str, sql.Value] | None = None) -> exp.Expr:
    """`function('path', option = value, ...)` as a FROM item."""
    return exp.Anonymous(this=function, expressions=[exp.Literal.string(path), *sql.named_args(options or {})])
