"""`python -m bench --sizes 1m,10m --runs 3`: run the workloads, check the sides agree, print a table."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from bench.dataset import default_cache, parse_size
from bench.harness import ALL_SIDES, ALL_WORKLOADS, BenchError, run_benchmark
from bench.report import machine, table


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@click.command()
@click.option("--sizes", default="1m", show_default=True, help="Survey rows per size, e.g. 3k,1m,10m.")
@click.option("--runs", default=3, show_default=True, type=click.IntRange(min=1), help="Runs per size; medians shown.")
@click.option("--workloads", default=",".join(ALL_WORKLOADS), show_default=True, help="Which workloads to run.")
@click.option("--sides", default=",".join(ALL_SIDES), show_default=True, help="Which sides to run.")
@click.option("--readers", default=3, show_default=True, type=click.IntRange(min=1), help="Concurrent readers.")
@click.option(
    "--dashboard-baseline", default="10k", show_default=True, help="Small size the dashboard is compared with."
)
@click.option(
    "--memory-limit",
    default=None,
    help="DuckDB memory limit for our refresh and the hand-written SQL, e.g. 1GB (default: DuckDB's, 80% of RAM).",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where data and databases go (default ~/.cache/cxkpi-bench or $CXKPI_BENCH_CACHE).",
)
def main(
    sizes: str,
    runs: int,
    workloads: str,
    sides: str,
    readers: int,
    dashboard_baseline: str,
    memory_limit: str | None,
    cache: Path | None,
) -> None:
    """Benchmark the refresh and the dashboard against hand-written DuckDB SQL and pandas."""
    folder = cache or default_cache()
    started = time.perf_counter()
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        results = run_benchmark(
            [parse_size(s) for s in _split(sizes)],
            runs=runs,
            workloads=_split(workloads),
            sides=_split(sides),
            cache=folder,
            readers=readers,
            memory_limit=memory_limit,
            dashboard_baseline=parse_size(dashboard_baseline),
            log=lambda message: click.echo(message, err=True),
            progress=folder / f"records-{stamp}.json",
        )
    except BenchError as failure:
        click.echo(f"error: {failure}", err=True)
        sys.exit(1)
    results["machine"] = machine()
    results["seconds"] = time.perf_counter() - started
    out = folder / f"results-{stamp}.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    click.echo(table(results))
    click.echo(f"\nAll measurements: {out}", err=True)


if __name__ == "__main__":
    main()
