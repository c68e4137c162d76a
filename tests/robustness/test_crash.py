"""Crash during refresh: a real CLI refresh SIGKILLed at random points, round after round.

Each round appends rows to the export, starts `cli.py refresh` and kills it after a random delay
(sometimes from the start, sometimes once the new file is being built). Afterwards:
- the database opens;
- it is exactly the last good state (a fingerprint of every row of every raw, meta and kpi table),
  or, when the kill came too late, exactly a complete new state (every row of the export, one more
  refresh logged, every KPI computed);
- the next refresh completes and holds every row of the export.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.database import building_path, read_only
from tests.conftest import ROOT, SURVEY_HEADER, write_config

ROUNDS = 6
KILLS_PER_ROUND = 2
ROWS_PER_ROUND = 5_000
LINE = "R{i},2025-0{m}-05 10:00:00,C{i},Phone,EMEA,Billing,Mobile,Frontline Phone,{s},{c},{e},fine {i}\n"

Fingerprint = dict[str, tuple[int, int]]


def append_rows(csv: Path, start: int, stop: int) -> None:
    with csv.open("a", encoding="utf-8") as handle:
        handle.write(
            "".join(LINE.format(i=i, m=1 + i % 9, s=i % 11, c=1 + i % 5, e=1 + i % 7) for i in range(start, stop))
        )


def fingerprint(db: Path) -> Fingerprint:
    """Row count and an order-independent hash of every row of every table."""
    with read_only(db) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        found: Fingerprint = {}
        for schema, table in tables:
            count, digest = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{schema}"."{table}" t'
            ).fetchall()[0]
            found[f"{schema}.{table}"] = (int(count), int(digest))
    return found


def complete_state(db: Path, rows: int, refreshes: int) -> bool:
    with read_only(db) as con:
        loaded = con.execute("SELECT count(*) FROM raw.feedback").fetchall()[0][0]
        logged = con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'ok') FROM meta.refreshes").fetchall()[0]
        kpis = con.execute("SELECT count(DISTINCT kpi) FROM kpi.kpi_values").fetchall()[0][0]
    return loaded == rows and logged == (refreshes, refreshes) and kpis >= 1


@pytest.mark.slow
def test_refreshes_killed_at_random_points_leave_the_last_good_state_and_the_next_one_completes(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "survey.csv"
    csv.write_text(SURVEY_HEADER + "\n", encoding="utf-8")
    append_rows(csv, 0, ROWS_PER_ROUND)
    config = write_config(tmp_path, only=("survey_responses",))
    config.write_text(config.read_text().replace(str(ROOT / "demo/data/survey_responses.csv"), str(csv)))
    db = tmp_path / "cx.duckdb"
    cli = [sys.executable, str(ROOT / "cli.py"), "--config", str(config), "refresh"]
    clock = time.monotonic()
    subprocess.run(cli, check=True, capture_output=True, cwd=ROOT)
    duration = time.monotonic() - clock
    rows, refreshes = ROWS_PER_ROUND, 1
    chance = random.Random(7)
    killed = completed_anyway = 0
    attempts = kept_old = whole_new = 0
    for round_ in range(ROUNDS):
        append_rows(csv, rows, rows + ROWS_PER_ROUND)
        rows += ROWS_PER_ROUND
        for _ in range(KILLS_PER_ROUND):  # the second attempt starts from what the first kill left
            good = fingerprint(db)
            process = subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if attempts % 2:  # somewhere in the whole run, start-up included
                time.sleep(chance.uniform(0.0, duration))
            else:  # somewhere in the build itself
                deadline = time.monotonic() + 60
                while not building_path(db).exists() and process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(chance.uniform(0.0, duration / 2))
            attempts += 1
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                killed += 1
            returncode = process.wait()
            now = fingerprint(db)  # opens, or the test fails here
            if returncode == 0:
                completed_anyway += 1
                refreshes += 1
                assert complete_state(db, rows, refreshes), f"round {round_}: a finished refresh left a partial state"
            elif now == good:
                kept_old += 1
            else:
                refreshes += 1  # killed after the swap: the new file must be whole
                whole_new += 1
                assert complete_state(db, rows, refreshes), f"round {round_}: neither the old nor a whole new state"
        # the next refresh completes, from whatever the kills left behind
        finished = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, check=False)
        assert finished.returncode == 0, finished.stderr
        refreshes += 1
        assert complete_state(db, rows, refreshes), f"round {round_}: the refresh after the kills is incomplete"
    print(
        f"\ncrash: {ROUNDS} rounds, {attempts} refreshes started, {killed} killed "
        f"({kept_old} left the old state, {whole_new} a whole new one), {completed_anyway} finished first"
    )
    assert killed >= attempts // 2
