"""Readers during a refresh: analysts and dashboard sessions keep querying while it runs.

Several reader processes each open a short-lived read-only connection per query (as the
dashboard does) and read the latest values and one KPI's trend, first for a few seconds with no
refresh running (the baseline), then while a full refresh rebuilds the database. Every error
counts: there must be none.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from bench.measure import measured

KPIS = ("nps", "csat", "ces", "enps")
BASELINE_SECONDS = 3.0


def _read_loop(database: str, phase: Event, stop: Event, out: Queue[Any]) -> None:
    from core.database import read_only

    latencies: dict[str, list[float]] = {"baseline": [], "refresh": []}
    errors: list[str] = []
    index = 0
    while not stop.is_set():
        kpi = KPIS[index % len(KPIS)]
        index += 1
        which = "refresh" if phase.is_set() else "baseline"
        clock = time.perf_counter()
        try:
            with read_only(Path(database)) as con:
                con.execute("SELECT * FROM kpi.latest WHERE grain = 'month'").fetchall()
                con.execute(
                    "SELECT period_start, value, ci_low, ci_high FROM kpi.kpi_values "
                    "WHERE kpi = ? AND grain = 'month' AND dimension = 'total' ORDER BY period_start",
                    [kpi],
                ).fetchall()
        except Exception as err:  # every failure is a finding, whatever its type
            errors.append(f"{type(err).__name__}: {str(err).splitlines()[0]}")
            continue
        latencies[which].append(time.perf_counter() - clock)
    out.put({"latencies": latencies, "errors": errors})


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"queries": 0}
    ordered = sorted(latencies)
    return {
        "queries": len(ordered),
        "p50_s": statistics.median(ordered),
        "p95_s": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max_s": ordered[-1],
    }


def during_refresh(config_file: Path, readers: int) -> dict[str, Any]:
    from bench.sides.ours import run_refresh
    from core.config import load_config

    database = str(load_config(config_file).database)
    context = mp.get_context("spawn")
    phase, stop = context.Event(), context.Event()
    out: Queue[Any] = context.Queue()
    processes = [context.Process(target=_read_loop, args=(database, phase, stop, out)) for _ in range(readers)]
    for process in processes:
        process.start()
    time.sleep(BASELINE_SECONDS)
    phase.set()
    with measured() as timing:
        run_refresh(config_file, full=True)
    stop.set()
    reports = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    merged = {p: [x for r in reports for x in r["latencies"][p]] for p in ("baseline", "refresh")}
    errors = [e for r in reports for e in r["errors"]]
    return {
        "timing": timing.as_dict(),
        "readers": readers,
        "baseline": _summary(merged["baseline"]),
        "refresh": _summary(merged["refresh"]),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
    }
