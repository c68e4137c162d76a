"""Staging for readers whose data DuckDB scans as a table: Parquet, JSON, and Arrow from drivers.

The reader names what to scan (a table function such as read_parquet, or an Arrow table or
stream it registered) and the columns it has; this selects the mapped columns under their target
names into a TEMP staging table, which the loader then reads (once to write, once for rejects)
and which is dropped when the input is done. Conversion to the declared types is the loader's
job, so a value that does not convert is a reject with its row number, never a failed load.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
from sqlglot import exp

from connectors import sql
from connectors.base import SourceBase, SourceInput, SourceReader, StagedInput
from connectors.files import missing_column
from core.errors import ConnectorError

LINE_COLUMN = "_line"
STAGING_TABLE = "_staging"


class StagingTableReader(SourceReader):
    """A reader that copies each input into a TEMP staging table, dropped once it is loaded.

    For inputs whose copy is cheap next to reading them (database fetches, Parquet, JSON, Excel).
    """

    @contextmanager
    def staged(self, con: duckdb.DuckDBPyConnection, item: SourceInput) -> Iterator[StagedInput]:
        yield self.stage(con, item, STAGING_TABLE)
        # not on failure: the load's transaction is rolled back, and the table with it
        con.execute(sql.drop_table(STAGING_TABLE))

    @abstractmethod
    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        """Read `item` into `staging_table`, whose columns are the target column names."""


def table_input(staging_table: str, *, first_line: int = 1, has_line_column: bool = False) -> StagedInput:
    """A staging table as the loader's input, its rows numbered in insertion (= input) order."""
    ordinal = exp.Sub(
        # rowids of a new table count up from an offset in insertion order
        this=exp.column("rowid"),
        expression=exp.select("min(rowid)").from_(sql.table(staging_table)).subquery(),
    )
    return StagedInput(
        relation=sql.table(staging_table),
        ordinal=ordinal,
        first_data_line=first_line,
        has_line_column=has_line_column,
    )


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
    return table_input(staging_table, first_line=first_line, has_line_column=line_column is not None)


def scan_columns(con: duckdb.DuckDBPyConnection, scan: exp.Expr) -> list[str]:
    """Column names of a scan, without reading it all."""
    rows = con.execute("DESCRIBE " + sql.to_sql(exp.select("*").from_(scan))).fetchall()
    return [str(row[0]) for row in rows]


def table_function(function: str, path: str, options: dict[str, sql.Value] | None = None) -> exp.Expr:
    """`function('path', option = value, ...)` as a FROM item."""
    return exp.Anonymous(this=function, expressions=[exp.Literal.string(path), *sql.named_args(options or {})])
