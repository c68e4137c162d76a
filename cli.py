"""Command line for ops teams and analysts: refresh the data, validate definitions, query.

python cli.py refresh            load every source and compute every KPI
python cli.py compute            compute every KPI again on the loaded rows (after a KPI file changed)
python cli.py validate           check config.yaml and every KPI file, run their tests; exit 1 on problems
python cli.py show-sql KPI       print the DuckDB query a KPI runs
python cli.py query "SQL"        run a read-only query on the DuckDB file
python cli.py report --out F     write the scorecard as one self-contained HTML file (charts embedded)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import AppConfig, load_config
from core.database import read_only
from core.errors import CxKpiError, Problem
from core.queries import run_read_only_query
from core.refresh import refresh as run_refresh
from core.validation import kpi_sql, validate_project
from kpis import results

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
errors = Console(stderr=True)


def reports_errors(command: F) -> F:
    """The one place where a user-facing error becomes a message and an exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CxKpiError as err:
            _print_problems(err.problems)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="config.yaml to use (default: $CXKPI_CONFIG, else the bundled one).",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """CX KPI dashboard: load CX exports into DuckDB and compute KPIs defined in YAML."""
    ctx.obj = config_file


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of loading what changed.")
@click.pass_obj
@reports_errors
def refresh(config_file: Path | None, full: bool) -> None:
    """Load every source and compute every KPI; readers keep the old data until it is done."""
    _refresh(load_config(config_file), full=full, load=True)


@cli.command()
@click.pass_obj
@reports_errors
def compute(config_file: Path | None) -> None:
    """Compute every KPI again on the rows already loaded, without reading the sources."""
    _refresh(load_config(config_file), full=False, load=False)


@cli.command("show-sql")
@click.argument("kpi")
@click.pass_obj
@reports_errors
def show_sql(config_file: Path | None, kpi: str) -> None:
    """Print the DuckDB query that aggregates a KPI (against the loaded tables)."""
    console.print(kpi_sql(load_config(config_file), kpi), highlight=False, markup=False, soft_wrap=True)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("scorecard.html"), show_default=True)
@click.option("--grain", type=click.Choice(["week", "month", "quarter"]), default="month", show_default=True)
@click.pass_obj
@reports_errors
def report(config_file: Path | None, out: Path, grain: str) -> None:
    """Write the scorecard as one HTML file with its charts embedded, to mail to anyone."""
    config = load_config(config_file)
    with read_only(config.database) as con:
        catalog, values, refreshed = (
            results.catalog(con),
            results.values_at_grain(con, grain),
            results.last_refresh(con),
        )
    from ui.report import scorecard_html  # Altair and the chart exporter: only this command needs them

    document = scorecard_html(catalog, values, refreshed, grain)
    out.write_text(document, encoding="utf-8")
    console.print(f"Scorecard written to {out} ({out.stat().st_size / 1024:,.0f} KB)")


def _refresh(config: AppConfig, *, full: bool, load: bool) -> None:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")  # e.g. a damaged file set aside
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=errors, transient=False
    ) as bar:
        task = bar.add_task("Refreshing", total=1.0)

        def show(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=message)

        report = run_refresh(config, full=full, progress=show, load=load)
    for result in report.loads:
        console.print(result.summary(), soft_wrap=True)
    for outcome in report.kpis.outcomes:
        if outcome.ok and outcome.kept:
            console.print(f"kpi {outcome.name}: unchanged, kept ({outcome.rows:,} values)")
        elif outcome.ok:
            scope = f" (periods from {outcome.since:%Y-%m-%d} aggregated again)" if outcome.since else ""
            if outcome.shared_with:
                scope += f" (scan shared with {', '.join(outcome.shared_with)})"
            console.print(f"kpi {outcome.name}: {outcome.rows:,} values in {outcome.seconds:.2f}s{scope}")
    wins = {
        "kept": "unchanged, kept",
        "rebuilt": "rebuilt",
        "updated": "updated for the new responses (their months' praise and their customers)",
    }
    if report.wins is not None:
        console.print(f"wins wall: {wins[report.wins]}")
    problems = [p for outcome in report.kpis.failed for p in outcome.problems]
    if problems:
        _print_problems(problems)
    console.print(f"Database: {config.database} (refresh {report.refresh_id}, {report.seconds:.1f}s)")
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.pass_obj
@reports_errors
def validate(config_file: Path | None) -> None:
    """Check config.yaml and every KPI file, against the loaded tables when there are any."""
    config = load_config(config_file)
    problems, checked = validate_project(config)
    if problems:
        _print_problems(problems)
        sys.exit(1)
    console.print(f"OK: config.yaml and {checked} KPI definition(s) are valid.")


@cli.command()
@click.argument("sql")
@click.option("--limit", default=200, show_default=True, help="Most rows to print.")
@click.pass_obj
@reports_errors
def query(config_file: Path | None, sql: str, limit: int) -> None:
    """Run a read-only SQL query on the DuckDB file and print the result as a table."""
    config = load_config(config_file)
    frame, total = run_read_only_query(config.database, sql, limit=limit)
    table = Table(show_lines=False)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*("" if pd.isna(value) else str(value) for value in row))
    console.print(table)
    if total > len(frame):
        console.print(f"({len(frame)} of {total:,} rows shown; use --limit to see more)")


def _print_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        errors.print(f"[bold red]error[/]: {escape(str(problem))}", highlight=False, markup=True, soft_wrap=True)


if __name__ == "__main__":
    cli()
