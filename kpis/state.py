"""What a refresh keeps so that new rows cost the periods they touch, not the whole history.

A KPI's compiled query turns rows into sufficient statistics, one row per (grain, period,
dimension value): its *counts*. Each period's counts depend only on the rows of that period (or of
its trailing window), so when new rows arrive for last Tuesday, every period ending before Tuesday
keeps its counts; only the later ones are aggregated again, from the rows they read. Scores,
intervals, changes, targets and anonymity suppression are then computed from all the counts, as
a full computation does: the result is the same row for row.

For that, each KPI's counts are kept in `kpi_state.counts_<kpi>`, and `kpi_state.inputs` records
what they were computed from: a hash of the definition (file, spec, SQL, period settings, engine,
columns of the tables read) and, per table read, each load's rows and first and last day
(`_load_id` -> [rows, first day, last day]). The loader never updates a row: a load adds rows
with its own id and deletes what it replaces. So the loads whose summary differs are exactly those
that added or lost rows, and the earliest day among them (before or after) is the first day whose
periods can have changed.

Only KPI types whose periods are independent qualify (`Measure.period_local`); loop closure is
not (open cases age with the data's "as of" time), nor a query that reads the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd
from sqlglot import exp

from core.ddl import comment_on, create_documented_table, has_table
from core.frames import frame
from kpis.compile import RAW_SCHEMA, CompiledKpi, PeriodSettings, Schema, grain_start, period_start
from kpis.measures import measure_for

SCHEMA = "kpi_state"
KEYS = ("grain", "period_start", "dimension", "dimension_value")
INPUTS_COLUMNS: dict[str, tuple[str, str]] = {
    "kpi": ("VARCHAR", "KPI name (kpi.catalog.kpi)."),
    "definition": (
        "VARCHAR",
        "Hash of the definition, compiled SQL, period settings, engine version and the columns of the tables read.",
    ),
    "loads": (
        "JSON",
        "Per table read and time column: {load id: [rows, first day, last day]} of the rows the counts cover.",
    ),
}

LoadSummary = dict[str, list[object]]
"""Load id -> [rows, first day, last day] (days as ISO text, in the reporting time zone)."""


@dataclass(frozen=True)
class Stored:
    definition: str
    loads: dict[str, LoadSummary]


def ensure_state_tables(con: duckdb.DuckDBPyConnection) -> None:
    create_documented_table(
        con,
        SCHEMA,
        "inputs",
        "Internal to refresh: what each KPI's kept counts were computed from. Not for reporting.",
        INPUTS_COLUMNS,
    )


def counts_table(kpi: str) -> exp.Table:
    return exp.table_(exp.to_identifier(f"counts_{kpi}", quoted=True), db=exp.to_identifier(SCHEMA))


class LoadSummaries:
    """Each (table, time) pair's load summary, read at most once per refresh."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: Schema, periods: PeriodSettings) -> None:
        self._con = con
        self._schema = schema
        self._periods = periods
        self._read: dict[str, LoadSummary | None] = {}

    def of(self, compiled: CompiledKpi) -> dict[str, LoadSummary] | None:
        """Per source of the KPI, its loads; None when a table read was not written by the loader."""
        spec = compiled.definition.spec
        summaries: dict[str, LoadSummary] = {}
        for source in measure_for(spec.type).sources(spec):
            key = f"{source.table}:{source.event_time.sql('duckdb')}"
            if key not in self._read:
                self._read[key] = self._summary(source.table, source.event_time, source.time_column)
            found = self._read[key]
            if found is None:
                return None
            summaries[key] = found
        return summaries

    def _summary(self, table: str, time: exp.Expr, time_column: str) -> LoadSummary | None:
        columns = self._schema.get(table)
        if columns is None or "_load_id" not in columns:
            return None
        time_type = columns[time_column]

        def day(value: exp.Expr) -> exp.Expr:
            return exp.cast(period_start("day", value, time_type, self._periods), "VARCHAR")

        query = (
            exp.select(
                "_load_id",
                "count(*)",
                day(exp.Min(this=time.copy())),
                day(exp.Max(this=time.copy())),
            )
            .from_(exp.table_(exp.to_identifier(table, quoted=True), db=exp.to_identifier(RAW_SCHEMA)))
            .where(exp.Not(this=exp.Is(this=time.copy(), expression=exp.null())))
            .group_by("_load_id")
        )
        rows = self._con.execute(query.sql("duckdb")).fetchall()
        return {str(load): [int(count), first, last] for load, count, first, last in rows}


def first_changed_day(before: dict[str, LoadSummary], now: dict[str, LoadSummary]) -> date | None:
    """The earliest day of any row added or removed since `before`; None when none was."""
    days: list[str] = []
    for key in before.keys() | now.keys():
        old, new = before.get(key, {}), now.get(key, {})
        for load in old.keys() | new.keys():
            if old.get(load) != new.get(load):
                days += [str(summary[1]) for summary in (old.get(load), new.get(load)) if summary]
    return date.fromisoformat(min(days)) if days else None


def stored(con: duckdb.DuckDBPyConnection, kpi: str) -> Stored | None:
    """What the kept counts of `kpi` were computed from, if they are there."""
    rows = con.execute(f"SELECT definition, loads FROM {SCHEMA}.inputs WHERE kpi = ?", [kpi]).fetchall()
    if not rows or not has_table(con, SCHEMA, f"counts_{kpi}"):
        return None
    definition, loads = rows[0]
    return Stored(str(definition), json.loads(loads))


def all_counts(
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledKpi,
    definition: str,
    loads: dict[str, LoadSummary] | None,
    *,
    query: exp.Query | None = None,
) -> pd.DataFrame:
    """Aggregate every period into the KPI's counts table, and return its rows.

    `query` gives the same rows as the KPI's own query, e.g. from a scan shared with other KPIs.
    """
    table = counts_table(compiled.definition.name)
    source = compiled.query if query is None else query
    con.execute(exp.Create(this=table, kind="TABLE", replace=True, expression=source).sql("duckdb"))
    comment_on(
        con,
        "TABLE",
        f"{SCHEMA}.counts_{compiled.definition.name}",
        f"Internal to refresh: the per-period counts kpi.kpi_values for {compiled.definition.name} is computed from.",
    )
    _remember(con, compiled.definition.name, definition, loads)
    return _read(con, table)


def counts_since(
    con: duckdb.DuckDBPyConnection,
    partial: CompiledKpi,
    since: date,
    periods: PeriodSettings,
    definition: str,
    loads: dict[str, LoadSummary],
) -> pd.DataFrame:
    """Aggregate again the periods from the one `since` falls in (`partial` is compiled with it)."""
    spec = partial.definition.spec
    table = counts_table(spec.name)
    starts = exp.Case()
    for grain in spec.grains:
        day = exp.cast(exp.Literal.string(grain_start(grain, since, periods).isoformat()), "DATE")
        starts = starts.when(exp.column("grain").eq(exp.Literal.string(grain)), day)
    con.execute(exp.delete(table).where(exp.GTE(this=exp.column("period_start"), expression=starts)).sql("duckdb"))
    con.execute(f"INSERT INTO {table.sql('duckdb')} BY NAME {partial.query.sql('duckdb')}")
    _remember(con, spec.name, definition, loads)
    return _read(con, table)


def kept_counts(
    con: duckdb.DuckDBPyConnection, kpi: str, definition: str, loads: dict[str, LoadSummary]
) -> pd.DataFrame:
    """The counts as they are (the rows that changed fall in no period), with the new summaries."""
    _remember(con, kpi, definition, loads)
    return _read(con, counts_table(kpi))


def _remember(con: duckdb.DuckDBPyConnection, kpi: str, definition: str, loads: dict[str, LoadSummary] | None) -> None:
    con.execute(f"DELETE FROM {SCHEMA}.inputs WHERE kpi = ?", [kpi])
    if loads is not None:
        con.execute(f"INSERT INTO {SCHEMA}.inputs VALUES (?, ?, ?)", [kpi, definition, json.dumps(loads)])


def forget(con: duckdb.DuckDBPyConnection, kpi: str) -> None:
    """Drop what was kept for `kpi`: its next computation starts from scratch."""
    con.execute(f"DELETE FROM {SCHEMA}.inputs WHERE kpi = ?", [kpi])
    con.execute(f"DROP TABLE IF EXISTS {counts_table(kpi).sql('duckdb')}")


def forget_all_but(con: duckdb.DuckDBPyConnection, kpis: list[str]) -> None:
    """Drop the state of KPIs no longer defined."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [SCHEMA]).fetchall()
    for (table,) in tables:
        if table.startswith("counts_") and table.removeprefix("counts_") not in kpis:
            forget(con, table.removeprefix("counts_"))
    con.execute(f"DELETE FROM {SCHEMA}.inputs WHERE NOT list_contains(?, kpi)", [kpis])


def _read(con: duckdb.DuckDBPyConnection, table: exp.Table) -> pd.DataFrame:
    """The counts in key order, so every step after them sees the same rows in the same order."""
    return frame(con, exp.select("*").from_(table).order_by(*KEYS).sql("duckdb"))
