"""One refresh: load every source, compute every KPI, swap the result in atomically.

sources -> connectors -> DuckDB (raw, meta) -> kpis -> DuckDB (kpi). A source that fails keeps
its last good rows; a KPI that fails keeps its last good values; either way the refresh finishes
for everything else and says what failed. A crash leaves the previous file untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from connectors.load import LoadResult, load_source
from connectors.meta import ensure_meta_tables
from core.config import AppConfig
from core.database import rebuilding
from core.errors import DatabaseError, Problem
from kpis.compile import PeriodSettings
from kpis.compute import KpiRun, compute_all
from kpis.definitions import load_definitions
from kpis.highlights import WinsUpdate, refresh_wins

Progress = Callable[[float, str], None]
"""Called with the fraction done (0..1) and what is happening, for a CLI or a progress bar."""


@dataclass
class RefreshReport:
    refresh_id: str
    loads: list[LoadResult] = field(default_factory=list)
    kpis: KpiRun = field(default_factory=KpiRun)
    wins: WinsUpdate | None = None  # None: no wins wall configured
    seconds: float = 0.0

    @property
    def failed_sources(self) -> list[LoadResult]:
        return [load for load in self.loads if load.error is not None]

    @property
    def ok(self) -> bool:
        return not self.failed_sources and not self.kpis.failed


def _silent(fraction: float, message: str) -> None:
    """Progress that goes nowhere, when nobody is watching."""


def _at_fraction(notify: Progress, fraction: float, message: str) -> None:
    notify(fraction, message)


def new_refresh_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def refresh(
    config: AppConfig, *, full: bool = False, progress: Progress | None = None, load: bool = True
) -> RefreshReport:
    """Load all sources and compute all KPIs into a fresh copy of the database, then swap it in.

    With `load=False` only the KPIs are computed again, on the rows already loaded (after a KPI
    file changed); that needs a database built by an earlier refresh.

    A KPI (and the wins wall) whose inputs did not change since it was last computed keeps its rows
    (see kpis.inputs), except with `full` or `load=False`: both compute everything again.
    """
    if not load and not config.database.is_file():
        raise DatabaseError(
            Problem(
                "there is no database to compute KPIs on yet",
                file=config.database,
                fix="load the sources first with `python cli.py refresh`",
            )
        )
    report = RefreshReport(new_refresh_id())
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    notify: Progress = progress or _silent
    catalog = load_definitions(config.kpi_definitions)
    sources = config.spec.sources if load else {}
    steps = len(sources) + 1
    with rebuilding(config.database, full=full, memory_limit=config.spec.memory_limit) as con:
        ensure_meta_tables(con)
        for index, (name, spec) in enumerate(sources.items()):
            notify(index / steps, f"Loading {name}")
            result = load_source(
                con,
                name,
                spec,
                root=config.root,
                refresh_id=report.refresh_id,
                default_timezone=config.timezone,
                progress=partial(_at_fraction, notify, index / steps),
            )
            report.loads.append(result)
            notify((index + 1) / steps, result.summary())
        notify((steps - 1) / steps, f"Computing {len(catalog.definitions)} KPI(s)")
        periods = PeriodSettings(timezone=config.timezone, week_start=config.week_start)
        force = full or not load
        report.kpis = compute_all(con, catalog, periods, report.refresh_id, force=force)
        if config.spec.voice is not None:
            report.wins = refresh_wins(con, config.spec.voice, report.refresh_id, timezone=config.timezone, force=force)
        report.seconds = time.perf_counter() - clock
        con.execute(
            "INSERT INTO meta.refreshes VALUES (?, ?, now(), ?, ?, ?)",
            [
                report.refresh_id,
                started_at,
                "ok" if report.ok else "partial",
                [load.source for load in report.failed_sources],
                [outcome.name for outcome in report.kpis.failed],
            ],
        )
    notify(1.0, f"Refreshed in {report.seconds:.1f}s")
    return report
