"""What derived rows were computed from, so a refresh can keep the ones whose inputs did not change.

A fingerprint hashes everything a KPI's stored rows (or the wins wall) depend on: the definition,
the compiled SQL, the period settings, the engine's code and the version of every raw table read.
A table's version is its row count and the sum of `hash(_load_id)` over its rows: the loader
stamps every row it writes (appended, upserted by primary key, or reloaded with a file) with a
new load id and deletes what a file or key replaces, so any added, replaced or deleted row
changes it. A table that is not there has the version "absent"; one without `_load_id` (not
written by the loader) has none, and whatever reads it is always computed. So is a query that
reads the clock (a filter such as `responded_at >= current_date - INTERVAL 90 DAY`): its result
changes with the day even when no row does.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb
from sqlglot import exp

from kpis.compile import RAW_SCHEMA, Schema


@functools.cache
def engine_version() -> str:
    """The code that computes values: every module of `kpis/` and the DuckDB release.

    Derived, not bumped by hand: any edit to the engine, or a DuckDB upgrade, makes the next
    refresh compute every KPI again, so no stored value outlives the code that made it.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(duckdb.__version__.encode(), digest_size=16)
    for module in sorted(package.rglob("*.py")):
        digest.update(module.relative_to(package).as_posix().encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


TableVersion = tuple[int, str]
_CLOCK = (exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentDatetime, exp.Rand)
_CLOCK_FUNCTIONS = {"now", "today", "get_current_time", "get_current_timestamp", "random", "uuid", "gen_random_uuid"}


class TableVersions:
    """Each raw table's version, read at most once per refresh (the loads are done by then)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: Schema) -> None:
        self._con = con
        self._schema = schema
        self._versions: dict[str, TableVersion | None] = {}

    def of(self, table: str) -> TableVersion | None:
        if table not in self._versions:
            self._versions[table] = self._read(table)
        return self._versions[table]

    def _read(self, table: str) -> TableVersion | None:
        if table not in self._schema:
            return (0, "absent")
        if "_load_id" not in self._schema[table]:
            return None
        name = exp.table_(exp.to_identifier(table, quoted=True), db=exp.to_identifier(RAW_SCHEMA))
        query = exp.select("count(*)", "sum(hash(_load_id))").from_(name)
        rows = self._con.execute(query.sql("duckdb")).fetchall()
        count, total = rows[0]
        return int(count), str(total)

    def fingerprint(self, tables: Iterable[str], *parts: object) -> str | None:
        """The hash of `parts` and of each table's columns and version; None if a table has no version."""
        read = sorted(set(tables))
        versions = [self.of(table) for table in read]
        if any(version is None for version in versions):
            return None
        columns = {table: dict(self._schema.get(table, {})) for table in read}
        return fingerprint(engine_version(), columns, versions, *parts)


def fingerprint(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def raw_tables_in(query: exp.Expr) -> set[str]:
    """The tables of schema `raw` a query reads."""
    return {table.name for table in query.find_all(exp.Table) if table.db == RAW_SCHEMA}


def reads_the_clock(query: exp.Expr) -> bool:
    """Whether the query's result can change with no change to its inputs (the date, a random number)."""
    return any(
        isinstance(node, _CLOCK) or (isinstance(node, exp.Anonymous) and node.name.lower() in _CLOCK_FUNCTIONS)
        for node in query.walk()
    )
