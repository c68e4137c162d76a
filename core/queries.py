"""Ad-hoc read-only queries on the DuckDB file, for `cli.py query` and analysts' scripts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.database import read_only
from core.errors import CxKpiError, Problem
from core.frames import frame, scalar


class QueryError(CxKpiError):
    """An analyst's query that could not run."""


def run_read_only_query(database: Path, sql: str, *, limit: int) -> tuple[pd.DataFrame, int]:
    """Run one SELECT on a read-only connection; return at most `limit` rows and the row count."""
    query = _single_select(sql)
    with read_only(database) as con:
        try:
            total = scalar(con, exp.select("count(*)").from_(query.subquery("q")).sql("duckdb"))
            # Wrap rather than .limit(): sqlglot would replace a LIMIT the analyst wrote.
            result = frame(con, exp.select("*").from_(query.subquery("q")).limit(limit).sql("duckdb"))
        except duckdb.Error as err:
            raise QueryError(
                Problem(
                    f"query failed: {str(err).splitlines()[0]}", fix="list tables with: SELECT * FROM duckdb_tables()"
                )
            ) from err
    return result, int(str(total or 0))


def _single_select(sql: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except SqlglotError as err:  # TokenError too: an unclosed quote raised out of the CLI
        raise QueryError(Problem(f"not valid SQL: {str(err).splitlines()[0]}")) from err
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise QueryError(
            Problem("query runs one SELECT statement", fix="the database is read-only here; use `refresh` to change it")
        )
    return statements[0]
