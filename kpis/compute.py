"""Compute every KPI into the `kpi` tables: aggregate in DuckDB, then score, compare and judge.

A KPI whose definition is broken keeps its last good values and is marked `error` in the
catalog with the problem; the others are computed as usual.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from sqlglot import exp

from core.errors import KpiDefinitionError, Problem
from core.frames import frame, scalar
from kpis import stats
from kpis.compile import RAW_SCHEMA, CompiledKpi, PeriodSettings, compile_kpi
from kpis.definitions import KpiCatalog, KpiDefinition
from kpis.measures import measure_for
from kpis.periods import shift
from kpis.status import status
from kpis.store import CATALOG_COLUMNS, VALUES_COLUMNS, ensure_kpi_tables


@dataclass
class KpiOutcome:
    name: str
    rows: int = 0
    seconds: float = 0.0
    problems: tuple[Problem, ...] = ()

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
) -> KpiRun:
    """Compute every KPI of `catalog` on `con` and store the results in the `kpi` schema."""
    ensure_kpi_tables(con)
    run = KpiRun()
    broken = _problems_by_kpi(catalog.problems)
    for name, problems in broken.items():
        _mark_broken(con, name, problems, refresh_id)
        run.outcomes.append(KpiOutcome(name, problems=tuple(problems)))
    for definition in catalog.definitions:
        started = time.perf_counter()
        try:
            compiled = compile_kpi(definition, table_columns(con, definition.spec.table), periods)
        except KpiDefinitionError as err:
            _mark_broken(con, definition.name, list(err.problems), refresh_id)
            run.outcomes.append(KpiOutcome(definition.name, problems=err.problems))
            continue
        values = compute_values(con, compiled, refresh_id)
        _store(con, compiled, values, refresh_id)
        run.outcomes.append(KpiOutcome(definition.name, len(values), time.perf_counter() - started))
    known = [d.name for d in catalog.definitions] + list(broken)
    con.execute("DELETE FROM kpi.kpi_values WHERE NOT list_contains(?, kpi)", [known])
    con.execute("DELETE FROM kpi.catalog WHERE NOT list_contains(?, kpi)", [known])
    return run


def compute_values(con: duckdb.DuckDBPyConnection, compiled: CompiledKpi, refresh_id: str) -> pd.DataFrame:
    """Run the compiled query and turn its counts into the rows of kpi.kpi_values."""
    spec = compiled.definition.spec
    measure = measure_for(spec.type)
    counts = frame(con, compiled.sql)
    scored = measure.statistics(spec, counts)
    scored["period_start"] = pd.to_datetime(scored["period_start"])
    parts = [_per_grain(spec, str(grain), frame, measure.scale) for grain, frame in scored.groupby("grain", sort=False)]
    values = pd.concat(parts, ignore_index=True) if parts else scored
    values["kpi"] = spec.name
    values["refresh_id"] = refresh_id
    for column in VALUES_COLUMNS:
        if column not in values:
            values[column] = None
    return values[list(VALUES_COLUMNS)].sort_values(["grain", "dimension", "dimension_value", "period_start"])


def _per_grain(spec, grain: str, frame: pd.DataFrame, scale: float) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame = frame.copy()
    frame["period_end"] = shift(frame["period_start"], grain, 1) - pd.Timedelta(days=1)  # type: ignore[arg-type]
    frame["target"] = [spec.target_on(day.date()) for day in frame["period_start"]]
    frame["target"] = frame["target"].astype(float)
    value = frame["value"].to_numpy(dtype=float)
    frame["status"] = status(
        value,
        frame["target"].to_numpy(dtype=float),
        higher_is_better=spec.direction == "higher_is_better",
        amber_within=spec.status.amber_within,
    )
    frame["low_sample"] = frame["n"] < spec.min_n
    previous = frame[["dimension", "dimension_value", "period_start", "value", "variance", "n"]].copy()
    previous["period_start"] = shift(previous["period_start"], grain, 1)  # type: ignore[arg-type]
    previous = previous.rename(columns={"value": "previous_value", "variance": "_prev_var", "n": "_prev_n"})
    frame = frame.merge(previous, on=["dimension", "dimension_value", "period_start"], how="left")
    frame["change"] = frame["value"] - frame["previous_value"]
    p_value = stats.two_sample_z(
        frame["value"].to_numpy(dtype=float),
        frame["variance"].to_numpy(dtype=float),
        frame["n"].to_numpy(dtype=float),
        frame["previous_value"].to_numpy(dtype=float),
        frame["_prev_var"].to_numpy(dtype=float),
        frame["_prev_n"].to_numpy(dtype=float),
        scale,
    )
    frame["change_p_value"] = p_value
    frame["change_significant"] = pd.array(
        [None if np.isnan(p) else bool(p < stats.SIGNIFICANCE_LEVEL) for p in p_value], dtype="boolean"
    )
    return frame.drop(columns=["_prev_var", "_prev_n"])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchall()
    return {name: data_type for name, data_type in rows} or None


def _store(con: duckdb.DuckDBPyConnection, compiled: CompiledKpi, values: pd.DataFrame, refresh_id: str) -> None:
    definition = compiled.definition
    spec = definition.spec
    con.execute("DELETE FROM kpi.kpi_values WHERE kpi = ?", [spec.name])
    con.register("_kpi_values_frame", values)
    con.execute("INSERT INTO kpi.kpi_values BY NAME SELECT * FROM _kpi_values_frame")
    con.unregister("_kpi_values_frame")
    latest = exp.select(exp.func("max", exp.column(spec.time_column, quoted=True))).from_(
        exp.table_(exp.to_identifier(spec.table, quoted=True), db=exp.to_identifier(RAW_SCHEMA))
    )
    row = _catalog_row(definition, compiled.sql, scalar(con, latest.sql("duckdb")), refresh_id)
    _upsert_catalog(con, row)


def _catalog_row(definition: KpiDefinition, sql: str, data_through: object, refresh_id: str) -> dict[str, object]:
    spec = definition.spec
    measure = measure_for(spec.type)
    return {
        "kpi": spec.name,
        "display_name": spec.display_name,
        "description": spec.description.strip(),
        "type": spec.type,
        "formula": measure.formula(spec),
        "table_name": spec.table,
        "time_column": spec.time_column,
        "dimensions": list(spec.dimensions),
        "grains": list(spec.grains),
        "direction": spec.direction,
        "decimals": spec.format.decimals,
        "unit": spec.format.unit,
        "min_n": spec.min_n,
        "owner_name": spec.owner.name,
        "owner_email": spec.owner.email,
        "owner_team": spec.owner.team,
        "backup_name": spec.backup.name if spec.backup else None,
        "escalation_name": spec.escalation.name if spec.escalation else None,
        "targets": json.dumps([{"from": t.starts.isoformat(), "value": t.value} for t in spec.targets]),
        "amber_within": spec.status.amber_within,
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
    updated = con.execute(
        "UPDATE kpi.catalog SET status = 'error', problems = ?, refresh_id = ? WHERE kpi = ? RETURNING kpi",
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
