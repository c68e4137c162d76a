"""Run every (size, run, workload, side) in a fresh process, and check the sides agree."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.compare import differences
from bench.dataset import REPO, Dataset, prepare
from bench.measure import load_average

ALL_WORKLOADS = ("full", "kpis", "incremental", "dashboard", "readers")
ALL_SIDES = ("ours", "ours_same", "duckdb_sql", "duckdb_sql_kept", "pandas")
DATA_WORKLOADS = ("full", "kpis", "incremental")  # run by every side, results compared
FULL_ONLY = {"duckdb_sql_kept"}  # the same KPIs as duckdb_sql: only its loads differ
KEEPS_REJECTS = {"ours", "ours_same", "duckdb_sql_kept"}  # their survey rejects are compared too
OURS_ONLY = ("dashboard", "readers")
SETUP = {("ours", "incremental_setup"), ("ours_same", "incremental_setup")}
Log = Callable[[str], None]


class BenchError(Exception):
    """A side failed, or its KPI values differ from ours: no timing is worth reporting then."""


def _child(job: dict[str, Any], *, isolate: bool = True) -> dict[str, Any]:
    """Run a job in a fresh interpreter (or, for the test suite's speed only, in this one)."""
    Path(job["work"]).mkdir(parents=True, exist_ok=True)
    if not isolate:
        from bench.child import run_job

        return run_job(job)
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", json.dumps(job)], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BenchError(f"{job['side']} {job['workload']} at {job['rows']:,} rows failed:\n{tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _job(data: Dataset, cache: Path, side: str, workload: str, **extra: Any) -> dict[str, Any]:
    work = cache / "work" / data.label / side
    return {"side": side, "workload": workload, "rows": data.rows, "data": str(data.folder), "work": str(work)} | extra


class _Run:
    def __init__(
        self, cache: Path, log: Log, readers: int, isolate: bool, progress: Path | None, memory_limit: str | None
    ) -> None:
        self.cache, self.log, self.readers, self.isolate = cache, log, readers, isolate
        self.memory_limit = memory_limit
        self.progress = progress
        self.records: list[dict[str, Any]] = []
        self.reference: dict[str, list[Any]] = {}

    def measure(self, data: Dataset, side: str, workload: str, run: int) -> dict[str, Any]:
        if workload == "incremental" and (side, "incremental_setup") in SETUP:
            # its own process: the setup's memory must not count in the measured one's peak
            setup = _job(data, self.cache, side, "incremental_setup", memory_limit=self.memory_limit)
            _child(setup, isolate=self.isolate)
        clock = time.perf_counter()
        job = _job(data, self.cache, side, workload, readers=self.readers, memory_limit=self.memory_limit)
        outcome = _child(job, isolate=self.isolate)
        check = outcome.pop("check", None)
        if check is not None:
            self._check(data, side, workload, check, outcome.get("survey_rows"))
        rejected = outcome.pop("survey_rejected", None)
        if rejected is not None and side in KEEPS_REJECTS:
            self._check_rejects(data, side, workload, rejected)
        record = {"size": data.label, "rows": data.rows, "side": side, "workload": workload, "run": run} | outcome
        self.records.append(record)
        if self.progress is not None:  # so that a later failure does not lose what was measured
            self.progress.write_text(json.dumps(self.records, indent=1, default=str))
        wall = outcome.get("timing", {}).get("wall_s", time.perf_counter() - clock)
        self.log(f"  {data.label} run {run + 1} {workload:<11} {side:<10} {wall:8.2f} s  load {load_average()[0]:.1f}")
        return record

    def _check(self, data: Dataset, side: str, workload: str, check: list[Any], survey_rows: Any) -> None:
        rows = [tuple(r) for r in check]
        reference = self.reference.setdefault(data.label, rows)
        problems = differences(reference, rows)
        if problems:
            raise BenchError(
                f"{side} {workload} at {data.label} disagrees with the first result:\n  " + "\n  ".join(problems)
            )
        expected = self.reference.setdefault(f"{data.label}:survey_rows", [survey_rows])[0]
        if survey_rows != expected:
            raise BenchError(f"{side} {workload} at {data.label} kept {survey_rows} survey rows, not {expected}")

    def _check_rejects(self, data: Dataset, side: str, workload: str, rejected: int) -> None:
        """Every side that keeps what its checks drop keeps the same survey lines."""
        expected = self.reference.setdefault(f"{data.label}:survey_rejected", [rejected])[0]
        if rejected != expected:
            raise BenchError(f"{side} {workload} at {data.label} kept {rejected} survey rejects, not {expected}")

    def ensure_ours_built(self, data: Dataset) -> None:
        if not (self.cache / "work" / data.label / "ours" / "cx.duckdb").exists():
            self.log(f"  {data.label}: building our database for the dashboard and readers (not timed)")
            _child(_job(data, self.cache, "ours", "full", memory_limit=self.memory_limit), isolate=self.isolate)


def run_benchmark(
    sizes: list[int],
    *,
    runs: int,
    workloads: list[str],
    sides: list[str],
    cache: Path,
    readers: int,
    dashboard_baseline: int,
    log: Log,
    memory_limit: str | None = None,
    isolate: bool = True,
    progress: Path | None = None,
) -> dict[str, Any]:
    """Every workload of every side at every size, `runs` times; raises BenchError on a disagreement.

    `isolate=False` runs the sides in this process: only for checking results quickly, since
    CPU time and peak memory are then not the side's own.
    """
    unknown = sorted(set(workloads) - set(ALL_WORKLOADS)) + sorted(set(sides) - set(ALL_SIDES))
    if unknown:
        raise BenchError(f"unknown {unknown}; workloads: {', '.join(ALL_WORKLOADS)}; sides: {', '.join(ALL_SIDES)}")
    cache.mkdir(parents=True, exist_ok=True)
    bench = _Run(cache, log, readers, isolate, progress, memory_limit)
    datasets: dict[str, dict[str, Any]] = {}
    ordered_sides = sorted(sides, key=lambda s: s != "ours")  # ours first: its values are the reference
    for rows in sizes:
        clock = time.perf_counter()
        data = prepare(rows, cache)
        datasets[data.label] = {
            "rows": rows,
            "input_bytes": data.input_bytes(),
            "csv_bytes": data.csv_bytes(),
            "new_day_rows": _records(data.survey_files[1]),
            "base_rows": rows - _records(data.survey_files[1]),
            "prepare_s": time.perf_counter() - clock,
        }
        log(f"{data.label}: data ready in {datasets[data.label]['prepare_s']:.1f} s ({data.folder})")
        for run in range(runs):
            for side in ordered_sides:
                for workload in (w for w in DATA_WORKLOADS if w in workloads):
                    if side not in FULL_ONLY or workload == "full":
                        bench.measure(data, side, workload, run)
            if "full" in workloads:
                bench.measure(data, "floor", "full", run)
            if "readers" in workloads:
                bench.ensure_ours_built(data)
                bench.measure(data, "ours", "readers", run)
        if "dashboard" in workloads:
            baseline = prepare(dashboard_baseline, cache)
            datasets.setdefault(baseline.label, {"rows": baseline.rows, "input_bytes": baseline.input_bytes()})
            for target in (baseline, data):
                bench.ensure_ours_built(target)
                for run in range(runs):
                    bench.measure(target, "ours", "dashboard", run)
    return {"datasets": datasets, "records": bench.records, "runs": runs, "memory_limit": memory_limit}


def _records(path: Path) -> int:
    """CSV records after the header (a comment may span lines)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1
