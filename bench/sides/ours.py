"""Our refresh, as a user runs it: `cli.py refresh` on the config, through the public functions."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.sides.common import CHECKED_DIMENSION, CheckRow
from core.config import load_config
from core.refresh import RefreshReport, refresh


def run_refresh(config_file: Path, *, full: bool = False, load: bool = True) -> RefreshReport:
    report = refresh(load_config(config_file), full=full, load=load)
    if not report.ok:
        failed = [str(load.error) for load in report.failed_sources]
        failed += [str(p) for outcome in report.kpis.failed for p in outcome.problems]
        raise RuntimeError("refresh failed: " + "; ".join(failed))
    return report


def check_rows(database: Path) -> list[CheckRow]:
    wanted = " OR ".join(f"(kpi = '{k}' AND dimension IN ('total', '{d}'))" for k, d in CHECKED_DIMENSION.items())
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"""
            SELECT kpi, dimension, dimension_value, strftime(period_start, '%Y-%m-%d'), value, n
            FROM kpi.kpi_values
            WHERE grain = 'month' AND ({wanted}) AND n > 0 AND NOT coalesce(suppressed, false)
            ORDER BY ALL""").fetchall()
    return [tuple(row) for row in rows]


def survey_rows(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM raw.feedback").fetchone()
    return int(found[0]) if found else 0


def survey_rejected(database: Path) -> int:
    """Survey rows (lines) kept in meta.rejects: refused by a check, or unreadable."""
    with duckdb.connect(str(database), read_only=True) as con:
        query = "SELECT count(DISTINCT (file, line)) FROM meta.rejects WHERE target_table = 'feedback'"
        found = con.execute(query).fetchone()
    return int(found[0]) if found else 0
