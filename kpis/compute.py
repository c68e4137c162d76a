"""Compute every KPI into the `kpi` tables: aggregate in DuckDB, then score, compare and judge.

A KPI whose definition is broken keeps its last good values and is marked `error` in the
catalog with the problem; the others are computed as usual. A KPI whose inputs did not change
since it was last computed (same fingerprint, see kpis.inputs) keeps its stored rows as they are;
one whose table got new rows aggregates again only the periods they touch (see kpis.state).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from sqlglot import exp

from core.errors import KpiDefinitionError, Problem
from core.frames import frame, scalar
from kpis import scans, state, stats
from kpis.compile import RAW_SCHEMA, TOTAL_DIMENSION, CompiledKpi, PeriodSettings, Schema, compile_kpi
from kpis.definitions import KpiCatalog, KpiDefinition
from kpis.inputs import TableVersions, engine_version, fingerprint, raw_tables_in, reads_the_clock
from kpis.measures import measure_for
from kpis.measures.base import Measure
from kpis.measures.loop_closure import LoopClosureSpec, backlog_query
from kpis.periods import shift
from kpis.spec import KpiBase, SingleTableKpi
from kpis.status import status
from kpis.store import CATALOG_COLUMNS, VALUES_COLUMNS, ensure_kpi_tables

# What an anonymity minimum hides: everything but the number of respondents.
_HIDDEN = (
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "positive",
    "neutral",
    "negative",
    "variance",
    "details",
)


@dataclass
class KpiOutcome:
    name: str
    rows: int = 0
    seconds: float = 0.0
    problems: tuple[Problem, ...] = ()
    kept: bool = False  # its inputs were unchanged: the stored rows were kept, not computed again
    since: date | None = None  # only the periods from the one this day falls in were aggregated again
    shared_with: tuple[str, ...] = ()  # KPIs aggregated in the same scan of the table (see kpis.scans)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class KpiRun:
    outcomes: list[KpiOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[KpiOutcome]:
        return [o for o in self.outcomes if not o.ok]


def compute_all(
    con: duckdb.DuckDBPyConnection,
    catalog: KpiCatalog,
    periods: PeriodSettings,
    refresh_id: str,
    *,
    force: bool = False,
) -> KpiRun:
    """Compute every KPI of `catalog` on `con` and store the results in the `kpi` schema.

    A KPI last computed without error from the same inputs keeps its rows, unless `force`.
    """
    ensure_kpi_tables(con)
    state.ensure_state_tables(con)
    con.execute("SET TimeZone = ?", [periods.timezone])
    # KPI files carry user-written SQL: from here on this connection cannot read or write any file
    # but its own database (the sources are loaded by now).
    con.execute("SET enable_external_access = false")
    run = KpiRun()
    broken = _problems_by_kpi(catalog.problems)
    for name, problems in broken.items():
        _mark_broken(con, name, problems, refresh_id)
        run.outcomes.append(KpiOutcome(name, problems=tuple(problems)))
    schema = raw_schema(con)
    loads = state.LoadSummaries(con, schema, periods)
    pending = _to_compute(con, catalog, schema, periods, loads, refresh_id, run, force=force)
    # KPIs aggregated from scratch that read the same rows share one scan of their table
    from_scratch = [p.compiled for p in pending if p.before is None]
    shared = scans.share(con, from_scratch, periods)
    try:
        for item in pending:
            compiled, name = item.compiled, item.compiled.definition.name
            started = time.perf_counter()
            # one transaction per KPI: a query that fails when it runs (a filter that cannot convert a
            # value, a query that runs out of memory) leaves that KPI's last good rows and counts
            con.execute("BEGIN TRANSACTION")
            try:
                counts, since = _counts(con, item, schema, periods, shared)
                values = compute_values(con, compiled, refresh_id, counts)
                _store(con, compiled, values, refresh_id, item.inputs)
                con.execute("COMMIT")
            except duckdb.Error as err:
                con.execute("ROLLBACK")
                problem = _runtime_problem(compiled.definition, err)
                _mark_broken(con, name, [problem], refresh_id)
                run.outcomes.append(KpiOutcome(name, problems=(problem,)))
                continue
            seconds = item.seconds + shared.seconds(name) + time.perf_counter() - started
            run.outcomes.append(KpiOutcome(name, len(values), seconds, since=since, shared_with=shared.partners(name)))
    finally:
        shared.drop(con)
    known = [d.name for d in catalog.definitions] + list(broken)
    for table in ("kpi_values", "catalog", "loop_backlog"):
        con.execute(f"DELETE FROM kpi.{table} WHERE NOT list_contains(?, kpi)", [known])
    state.forget_all_but(con, [d.name for d in catalog.definitions])
    con.execute("SET TimeZone = 'UTC'")
    return run


def _to_compute(
    con: duckdb.DuckDBPyConnection,
    catalog: KpiCatalog,
    schema: Schema,
    periods: PeriodSettings,
    loads: state.LoadSummaries,
    refresh_id: str,
    run: KpiRun,
    *,
    force: bool,
) -> list[_Pending]:
    """Compile every KPI; those whose inputs changed are returned, the others' outcomes added to `run`."""
    versions = TableVersions(con, schema)
    pending: list[_Pending] = []
    for definition in catalog.definitions:
        started = time.perf_counter()
        try:
            compiled = compile_kpi(definition, schema, periods)
        except KpiDefinitionError as err:
            _mark_broken(con, definition.name, list(err.problems), refresh_id)
            run.outcomes.append(KpiOutcome(definition.name, problems=err.problems))
            continue
        tables = _tables_read(compiled)
        identity = _definition_fingerprint(schema, compiled, tables, periods)
        inputs = _inputs_fingerprint(versions, compiled, tables, identity)
        if not force and inputs is not None and _stored_fingerprint(con, definition.name) == inputs:
            kept = _stored_rows(con, definition.name)
            run.outcomes.append(KpiOutcome(definition.name, kept, time.perf_counter() - started, kept=True))
            continue
        now, before = _previous(con, compiled, identity, loads, force=force)
        pending.append(_Pending(compiled, identity, inputs, now, before, time.perf_counter() - started))
    return pending


@dataclass(frozen=True)
class _Pending:
    """A KPI to compute: compiled, with what its rows depend on, and the seconds spent so far."""

    compiled: CompiledKpi
    identity: str
    inputs: str | None
    now: dict[str, state.LoadSummary] | None  # its tables' loads now (None: aggregated whole regardless)
    before: state.Stored | None  # its kept counts, when the periods new rows touch can be added to them
    seconds: float


def _previous(
    con: duckdb.DuckDBPyConnection, compiled: CompiledKpi, identity: str, loads: state.LoadSummaries, *, force: bool
) -> tuple[dict[str, state.LoadSummary] | None, state.Stored | None]:
    """The KPI's load summaries now, and its kept counts if they can be built on (else None)."""
    definition = compiled.definition
    local = measure_for(definition.spec.type).period_local and not reads_the_clock(compiled.query)
    now = loads.of(compiled) if local else None
    before = None if force or now is None else state.stored(con, definition.name)
    if now is None or before is None or before.definition != identity:
        return now, None
    return now, before


def _runtime_problem(definition: KpiDefinition, err: duckdb.Error) -> Problem:
    """A KPI whose query compiled but failed when it ran: most often a filter that fails on some value."""
    key = ("filter",) if getattr(definition.spec, "filter", None) else ("name",)
    return definition.problem(
        key,
        f"DuckDB could not compute it: {str(err).splitlines()[0]}",
        f"its last good values are kept; see the query with `python cli.py show-sql {definition.name}`",
    )


def _tables_read(compiled: CompiledKpi) -> set[str]:
    spec = compiled.definition.spec
    tables = raw_tables_in(compiled.query) | {source.table for source in measure_for(spec.type).sources(spec)}
    if isinstance(spec, LoopClosureSpec):
        tables |= raw_tables_in(backlog_query(spec))
    return tables


def _definition_fingerprint(schema: Schema, compiled: CompiledKpi, tables: set[str], periods: PeriodSettings) -> str:
    """What the KPI's rows depend on besides the rows read: definition, SQL, settings, engine, columns."""
    definition = compiled.definition
    return fingerprint(
        engine_version(),
        {table: dict(schema.get(table, {})) for table in sorted(tables)},
        definition.file.name,
        definition.text,
        definition.spec.model_dump(mode="json"),
        compiled.sql,
        [periods.timezone, periods.week_start],
    )


def _inputs_fingerprint(versions: TableVersions, compiled: CompiledKpi, tables: set[str], identity: str) -> str | None:
    """Everything the KPI's stored rows depend on, the rows read included (None: cannot tell, compute it)."""
    if reads_the_clock(compiled.query):
        return None
    return versions.fingerprint(tables, identity)


def _counts(
    con: duckdb.DuckDBPyConnection, item: _Pending, schema: Schema, periods: PeriodSettings, shared: scans.SharedCounts
) -> tuple[pd.DataFrame, date | None]:
    """The KPI's counts: aggregated again from the first day rows changed, else from scratch.

    Returns them with that day (None when every period was aggregated).
    """
    compiled, identity, now, before = item.compiled, item.identity, item.now, item.before
    definition = compiled.definition
    if before is None:
        query = shared.query(definition.name) or compiled.query
        return state.all_counts(con, compiled, identity, now, query=query), None
    assert now is not None
    since = state.first_changed_day(before.loads, now)
    if since is None:  # only rows outside every period (no time) changed
        return state.kept_counts(con, definition.name, identity, now), None
    partial = compile_kpi(definition, schema, periods, since=since)
    return state.counts_since(con, partial, since, periods, identity, now), since


def _stored_fingerprint(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    rows = con.execute("SELECT inputs_fingerprint FROM kpi.catalog WHERE kpi = ? AND status = 'ok'", [name]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def _stored_rows(con: duckdb.DuckDBPyConnection, name: str) -> int:
    rows = con.execute("SELECT count(*) FROM kpi.kpi_values WHERE kpi = ?", [name]).fetchall()
    return int(rows[0][0])


def compute_values(
    con: duckdb.DuckDBPyConnection, compiled: CompiledKpi, refresh_id: str, counts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Turn the KPI's counts (by default: run its query) into the rows of kpi.kpi_values.

    Counts come in key order, so that ties (e.g. in anonymity suppression) break the same way
    whichever way they were aggregated.
    """
    spec = compiled.definition.spec
    measure = measure_for(spec.type)
    if counts is None:
        counts = frame(con, compiled.query.order_by(*state.KEYS).sql("duckdb"))
    scored = measure.statistics(spec, counts)
    scored["period_start"] = pd.to_datetime(scored["period_start"])
    scored = _suppress_small_groups(scored, spec.anonymity_min)
    parts = [_per_grain(spec, measure, str(grain), rows) for grain, rows in scored.groupby("grain", sort=False)]
    values = pd.concat(parts, ignore_index=True) if parts else scored
    values["kpi"] = spec.name
    values["refresh_id"] = refresh_id
    for column in VALUES_COLUMNS:
        if column not in values:
            values[column] = None
    return values[list(VALUES_COLUMNS)].sort_values(["grain", "dimension", "dimension_value", "period_start"])


def _suppress_small_groups(scored: pd.DataFrame, minimum: int | None) -> pd.DataFrame:
    """Hide every score of a group under the anonymity minimum, and stop it being worked out by difference.

    When one group of a breakdown is hidden in a period, the total minus the others would reveal it:
    the next smallest group of that breakdown is hidden too (complementary suppression).
    """
    scored = scored.copy()
    if minimum is None:
        scored["suppressed"] = False
        return scored
    hidden = scored["n"] < minimum
    breakdown = scored[scored["dimension"] != TOTAL_DIMENSION]
    for _, group in breakdown.groupby(["grain", "period_start", "dimension"], sort=False):
        small = hidden[group.index]
        if small.sum() == 1 and len(group) > 1:
            hidden[group[~small].sort_values("n", kind="stable").index[0]] = True
    for column in _HIDDEN:
        if column in scored:
            scored[column] = scored[column].astype(object if column == "details" else float).where(~hidden, None)
    scored["suppressed"] = hidden
    return scored


def _per_grain(spec: KpiBase, measure: Measure, grain: str, rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["period_end"] = shift(rows["period_start"], grain, 1) - pd.Timedelta(days=1)  # type: ignore[arg-type]
    rows["target"] = [spec.target_on(day.date()) for day in rows["period_start"]]
    rows["target"] = rows["target"].astype(float)
    target = rows["target"].to_numpy(dtype=float)
    rows["status"] = status(
        rows["value"].to_numpy(dtype=float),
        target,
        higher_is_better=spec.direction == "higher_is_better",
        amber_within=np.array([spec.status.amber_margin(t) if not np.isnan(t) else 0.0 for t in target]),
    )
    rows["low_sample"] = rows["n"] < spec.min_n
    keys = ["dimension", "dimension_value", "period_start"]
    previous = rows[[*keys, "value", "variance", "n", "numerator", "denominator"]].copy()
    previous["period_start"] = shift(previous["period_start"], grain, 1)  # type: ignore[arg-type]
    previous = previous.rename(columns=lambda c: c if c in keys else f"_previous_{c}")
    rows = rows.merge(previous, on=keys, how="left")
    rows["previous_value"] = rows["_previous_value"]
    rows["change"] = rows["value"] - rows["previous_value"]
    p_value = _change_p_value(measure.change_test_of(spec), measure.scale, rows)
    rows["change_p_value"] = p_value
    rows["change_significant"] = pd.array(
        [None if np.isnan(p) else bool(p < stats.SIGNIFICANCE_LEVEL) for p in p_value], dtype="boolean"
    )
    return rows.drop(columns=[c for c in rows.columns if c.startswith("_previous_")])


def _change_p_value(test: str, scale: float, rows: pd.DataFrame) -> stats.Floats:
    def now(name: str) -> stats.Floats:
        return rows[name].to_numpy(dtype=float)

    def before(name: str) -> stats.Floats:
        return rows[f"_previous_{name}"].to_numpy(dtype=float)

    if test == "z":
        return stats.two_sample_z(
            now("value"), now("variance"), now("n"), before("value"), before("variance"), before("n"), scale
        )
    if test == "two_proportion":
        return stats.two_proportion_z(now("numerator"), now("denominator"), before("numerator"), before("denominator"))
    if test == "welch":
        return stats.welch_t(now("value"), now("variance"), now("n"), before("value"), before("variance"), before("n"))
    return np.full(len(rows), np.nan)


def raw_schema(con: duckdb.DuckDBPyConnection) -> Schema:
    """Every loaded table with its columns' types: what KPI definitions are checked against."""
    schema: dict[str, dict[str, str]] = {}
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = ? ORDER BY column_index",
        [RAW_SCHEMA],
    ).fetchall()
    for table, name, data_type in rows:
        schema.setdefault(table, {})[name] = data_type
    return schema


def _store(
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledKpi,
    values: pd.DataFrame,
    refresh_id: str,
    inputs: str | None,
) -> None:
    definition = compiled.definition
    spec = definition.spec
    con.execute("DELETE FROM kpi.kpi_values WHERE kpi = ?", [spec.name])
    con.register("_kpi_values_frame", values)
    con.execute("INSERT INTO kpi.kpi_values BY NAME SELECT * FROM _kpi_values_frame")
    con.unregister("_kpi_values_frame")
    con.execute("DELETE FROM kpi.loop_backlog WHERE kpi = ?", [spec.name])
    if isinstance(spec, LoopClosureSpec):
        backlog = exp.select(
            exp.alias_(exp.Literal.string(spec.name), "kpi"),
            exp.Star(),
            exp.alias_(exp.Literal.string(refresh_id), "refresh_id"),
        ).from_(exp.Subquery(this=backlog_query(spec)))
        con.execute(f"INSERT INTO kpi.loop_backlog BY NAME {backlog.sql('duckdb')}")
    row = _catalog_row(definition, compiled.sql, _data_through(con, spec), refresh_id)
    _upsert_catalog(con, {**row, "inputs_fingerprint": inputs})


def _data_through(con: duckdb.DuckDBPyConnection, spec: KpiBase) -> object:
    """The latest event time in any table the KPI reads."""
    times = [
        exp.select(exp.alias_(exp.Max(this=exp.column(source.time_column, quoted=True)), "latest")).from_(
            exp.table_(exp.to_identifier(source.table, quoted=True), db=exp.to_identifier(RAW_SCHEMA))
        )
        for source in measure_for(spec.type).sources(spec)
    ]
    union: exp.Query = times[0]
    for part in times[1:]:
        union = exp.union(union, part, distinct=False)
    return scalar(con, exp.select(exp.Max(this=exp.column("latest"))).from_(exp.Subquery(this=union)).sql("duckdb"))


def _catalog_row(definition: KpiDefinition, sql: str, data_through: object, refresh_id: str) -> dict[str, object]:
    spec = definition.spec
    measure = measure_for(spec.type)
    single = spec if isinstance(spec, SingleTableKpi) else None
    sources = measure.sources(spec)
    contacts = {"backup": spec.backup, "escalation": spec.escalation}
    return {
        "kpi": spec.name,
        "display_name": spec.display_name,
        "description": spec.description.strip(),
        "type": spec.type,
        "category": spec.category,
        "statistic": measure.statistic_of(spec),
        "formula": measure.formula(spec),
        "table_name": ", ".join(dict.fromkeys(s.table for s in sources)),
        "time_column": single.time_column if single else ", ".join(dict.fromkeys(s.time_column for s in sources)),
        "dimensions": list(spec.dimensions),
        "grains": list(spec.grains),
        "window_days": spec.window_days,
        "direction": spec.direction,
        "decimals": spec.format.decimals,
        "unit": spec.format.unit,
        "min_n": spec.min_n,
        "anonymity_min": spec.anonymity_min,
        "owner_name": spec.owner.name,
        "owner_email": spec.owner.email,
        "owner_team": spec.owner.team,
        **{
            f"{role}_{field}": getattr(c, field) if c else None
            for role, c in contacts.items()
            for field in ("name", "email", "team")
        },
        "owners": json.dumps(
            {
                d: {v: c.model_dump(exclude_none=True) for v, c in by_value.items()}
                for d, by_value in spec.owners.items()
            }
        ),
        "targets": json.dumps([{"from": t.starts.isoformat(), "value": t.value} for t in spec.targets]),
        "amber_within": spec.status.amber_within,
        "amber_within_percent": spec.status.amber_within_percent,
        "data_through": data_through,
        "definition_file": definition.file.name,
        "definition": definition.text,
        "sql": sql,
        "status": "ok",
        "problems": None,
        "refresh_id": refresh_id,
    }


def _upsert_catalog(con: duckdb.DuckDBPyConnection, row: dict[str, object]) -> None:
    con.execute("DELETE FROM kpi.catalog WHERE kpi = ?", [row["kpi"]])
    names = list(CATALOG_COLUMNS)
    placeholders = ", ".join("?" for _ in names)
    con.execute(
        f"INSERT INTO kpi.catalog ({', '.join(names)}) VALUES ({placeholders})", [row.get(name) for name in names]
    )


def _mark_broken(con: duckdb.DuckDBPyConnection, name: str, problems: list[Problem], refresh_id: str) -> None:
    """Keep the last good values of a broken KPI, and say in the catalog what is wrong."""
    message = "\n".join(str(p) for p in problems)
    state.forget(con, name)
    updated = con.execute(
        "UPDATE kpi.catalog SET status = 'error', problems = ?, refresh_id = ?, inputs_fingerprint = NULL "
        "WHERE kpi = ? RETURNING kpi",
        [message, refresh_id, name],
    ).fetchall()
    if not updated:
        _upsert_catalog(
            con, {"kpi": name, "display_name": name, "status": "error", "problems": message, "refresh_id": refresh_id}
        )


def _problems_by_kpi(problems: tuple[Problem, ...]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.subject or (problem.file.stem if problem.file else "kpis"), []).append(problem)
    return grouped
