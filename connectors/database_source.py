"""What database sources (SQLite, PostgreSQL) share: a table or a query, read as Arrow batches.

A reader opens an ADBC connection (DuckDB's own scanners cannot be installed offline), runs one
SELECT and hands DuckDB the Arrow record batches as they come, never row by row. With a `cursor:`
column the source is incremental: each load asks only for rows whose cursor is above the highest
value loaded before (the "high-water mark", kept as the input's checksum in meta.files), and a
primary key turns those rows into updates of the earlier ones.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from typing import Any

import duckdb
import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp

from connectors import sql
from connectors.base import SourceBase, SourceInput, StagedInput
from connectors.files import missing_column
from connectors.staging import StagingTableReader, stage_scan
from core.errors import ConnectorError, Problem

FETCHED = "_cx_fetched"
BATCHES = "_cx_batches"
CURSOR_PREFIX = "cursor:"


class DatabaseSourceBase(SourceBase):
    """A table or a query of a database."""

    source_table: str | None = Field(
        default=None, description="Table (or view) to read, e.g. cases or public.cases. Set this or query."
    )
    query: str | None = Field(default=None, description="A single SELECT to read instead of a table.")
    cursor: str | None = Field(
        default=None,
        description="Column that grows with every new or changed row (e.g. updated_at): load only rows above "
        "the highest value loaded before. Pair it with primary_key so changed rows replace their old version.",
    )

    @model_validator(mode="after")
    def _table_or_query(self) -> DatabaseSourceBase:
        if (self.source_table is None) == (self.query is None):
            raise ValueError("set exactly one of source_table or query")
        return self


class DatabaseReader(StagingTableReader):
    """Reads a database source through an ADBC connection that returns Arrow."""

    spec: DatabaseSourceBase
    dialect: str = ""

    @property
    def incremental(self) -> bool:  # type: ignore[override]
        return self.spec.cursor is not None

    @abstractmethod
    def connect(self) -> Any:
        """An ADBC DB-API connection; raise ConnectorError with what to do when it fails."""

    @abstractmethod
    def explain(self, err: Exception) -> Problem:
        """One line saying what went wrong with the database and what to do."""

    @abstractmethod
    def label(self) -> str:
        """What the meta tables call this input, e.g. postgres:public.cases."""

    def inputs(self) -> list[SourceInput]:
        return [SourceInput(self.label())]

    def base_query(self) -> exp.Query:
        if self.spec.query is not None:
            try:
                parsed = sqlglot.parse(self.spec.query, read=self.dialect)
            except sqlglot.ParseError as err:
                raise ConnectorError(
                    Problem(f"query: {str(err).splitlines()[0]}", subject=self.name, fix="fix the SQL in 'query:'")
                ) from err
            if len(parsed) != 1 or not isinstance(parsed[0], exp.Query):
                raise ConnectorError(
                    Problem("query must be a single SELECT", subject=self.name, fix="write one SELECT in 'query:'")
                )
            return parsed[0]
        parts = (self.spec.source_table or "").split(".")
        table = exp.table_(
            exp.to_identifier(parts[-1], quoted=True),
            db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None,
        )
        return exp.select("*").from_(table)

    def query_text(self, high_water: str | None) -> str:
        query = self.base_query()
        if self.spec.cursor is None:
            return query.sql(dialect=self.dialect)
        cursor = exp.column(exp.to_identifier(self.spec.cursor, quoted=True), table="q")
        outer = exp.select("*").from_(query.subquery("q")).order_by(cursor.copy())
        if high_water:
            # A string literal, not a bound parameter: the database then reads it as the column's own type.
            outer = outer.where(exp.GT(this=cursor, expression=exp.Literal.string(high_water)))
        return outer.sql(dialect=self.dialect)

    def fetch(self, con: duckdb.DuckDBPyConnection, high_water: str | None) -> list[str]:
        """Run the query and land its Arrow batches in a DuckDB temp table; return its columns."""
        text = self.query_text(high_water)
        driver_error = self.driver_error()
        connection = self.connect()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(text)
                batches = cursor.fetch_record_batch()
                con.register(BATCHES, batches)
                try:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {FETCHED} AS SELECT * FROM {BATCHES}")
                finally:
                    con.unregister(BATCHES)
            finally:
                cursor.close()
        except driver_error as err:
            raise ConnectorError(self.explain(err)) from err
        finally:
            connection.close()
        return [str(row[0]) for row in con.execute(f"DESCRIBE {FETCHED}").fetchall()]

    def driver_error(self) -> type[Exception]:
        import adbc_driver_manager

        error: type[Exception] = adbc_driver_manager.Error
        return error

    def checksum(self, con: duckdb.DuckDBPyConnection, item: SourceInput, previous: str | None) -> str:
        if self.spec.cursor is None:
            columns = self.fetch(con, None)
            rows = con.execute(f"SELECT count(*), sum(hash(f)) FROM {FETCHED} f").fetchall()
            digest = hashlib.blake2b(f"{self.query_text(None)}|{columns}|{rows[0]}".encode(), digest_size=16)
            return digest.hexdigest()
        high_water = previous[len(CURSOR_PREFIX) :].split("=", 1)[1] if previous else None
        columns = self.fetch(con, high_water or None)
        if self.spec.cursor not in columns:
            raise ConnectorError(missing_column(self.name, self.label(), self.spec.cursor, columns))
        cursor = sql.column(self.spec.cursor).sql(dialect="duckdb")
        newest = con.execute(f"SELECT CAST(max({cursor}) AS VARCHAR) FROM {FETCHED}").fetchall()[0][0]
        if newest is None:
            return previous or f"{CURSOR_PREFIX}{self.spec.cursor}="
        return f"{CURSOR_PREFIX}{self.spec.cursor}={newest}"

    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        columns = [str(row[0]) for row in con.execute(f"DESCRIBE {FETCHED}").fetchall()]
        try:
            return stage_scan(
                con, self.name, self.spec, where=self.label(), scan=sql.table(FETCHED), available=columns,
                staging_table=staging_table,
            )  # fmt: skip
        finally:
            con.execute(sql.drop_table(FETCHED))


def missing_driver(name: str, kind: str, package: str) -> ConnectorError:
    return ConnectorError(
        Problem(
            f"the {kind} source type needs {package.split('==', maxsplit=1)[0]}, which is not installed",
            subject=name,
            fix=f"pip install {package}",
        )
    )
