"""Concurrent use: dashboard sessions, reader threads and an analyst's process read while refreshes run in a loop.

A separate process appends rows to the export and refreshes, again and again. Meanwhile reader
threads read through the same functions the dashboard uses, an analyst process opens read-only
connections of its own, and AppTest sessions render the dashboard. Every read must succeed and be
internally consistent: the KPI rows all come from the refresh the file says was the last one,
and the raw table holds exactly the rows the load log says it holds. Nothing half-loaded, no
lock errors, and once the loop stops every new reader sees its final refresh.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.database import read_only
from kpis import results
from tests.conftest import ROOT, SURVEY_HEADER, write_config

REFRESHES = 4
READER_THREADS = 3
APP_SESSIONS = 3
LINE = "R{i},2025-0{m}-05 10:00:00,C{i},Phone,EMEA,Billing,Mobile,Frontline Phone,{s},{c},{e},fine\n"

CONSISTENCY = """
SELECT
    (SELECT max(refresh_id) FROM meta.refreshes),
    (SELECT list(DISTINCT refresh_id) FROM kpi.kpi_values),
    (SELECT count(*) FROM raw.feedback),
    (SELECT sum(rows_loaded) FROM meta.files WHERE source = 'survey_responses')
"""

REFRESH_LOOP = """
import sys
from pathlib import Path
from core.config import load_config
from core.refresh import refresh
config, csv, line, refreshes = load_config(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
start = sum(1 for _ in csv.open()) - 1
for k in range(refreshes):
    with csv.open("a") as handle:
        handle.write("".join(line.format(i=i, m=1 + i % 9, s=i % 11, c=1 + i % 5, e=1 + i % 7)
                             for i in range(start, start + 500)))
    start += 500
    assert refresh(config).ok
print(start)
"""

ANALYST = """
import json, sys, time, duckdb
db, query, stop = sys.argv[1], sys.argv[2], sys.argv[3]
from pathlib import Path
reads, errors, bad = 0, [], []
while not Path(stop).exists():
    try:
        with duckdb.connect(db, read_only=True) as con:
            latest, ids, raw_rows, logged_rows = con.execute(query).fetchall()[0]
        reads += 1
        if ids != [latest] or raw_rows != logged_rows:
            bad.append([latest, ids, raw_rows, logged_rows])
    except duckdb.Error as err:
        errors.append(str(err).splitlines()[0])
    time.sleep(0.005)
print(json.dumps({"reads": reads, "errors": errors, "inconsistent": bad}))
"""


def consistent_read(db: Path) -> tuple[str, bool]:
    """One read as the dashboard does it: a fresh connection, the consistency query and a results call."""
    with read_only(db) as con:
        latest, ids, raw_rows, logged_rows = con.execute(CONSISTENCY).fetchall()[0]
        catalog = results.catalog(con)
        values = results.values_at_grain(con, "month")
    ok = ids == [latest] and raw_rows == logged_rows and not catalog.empty and not values.empty
    return str(latest), ok


@pytest.mark.slow
def test_readers_sessions_and_an_analyst_see_only_whole_refreshes_while_refreshes_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "survey.csv"
    csv.write_text(
        SURVEY_HEADER
        + "\n"
        + "".join(LINE.format(i=i, m=1 + i % 9, s=i % 11, c=1 + i % 5, e=1 + i % 7) for i in range(2000)),
        encoding="utf-8",
    )
    config = write_config(tmp_path, only=("survey_responses",))
    config.write_text(config.read_text().replace(str(ROOT / "demo/data/survey_responses.csv"), str(csv)))
    db = tmp_path / "cx.duckdb"
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "--config", str(config), "refresh"], check=True, cwd=ROOT)
    stop = tmp_path / "stop"
    analyst = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(ANALYST), str(db), CONSISTENCY, str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    refresher = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(REFRESH_LOOP), str(config), str(csv), LINE, str(REFRESHES)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reads: list[tuple[str, bool]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def reader() -> None:
        while refresher.poll() is None:
            try:
                read = consistent_read(db)
                with lock:
                    reads.append(read)
            except Exception as err:  # any error at all is a failure: collect it and show it
                with lock:
                    errors.append(f"{type(err).__name__}: {err}")
            time.sleep(0.01)

    threads = [threading.Thread(target=reader) for _ in range(READER_THREADS)]
    for thread in threads:
        thread.start()
    monkeypatch.setenv("CXKPI_CONFIG", str(config))
    sessions = 0
    while refresher.poll() is None or sessions < APP_SESSIONS:
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
        sessions += 1
        assert not app.exception, app.exception
        assert not app.error, [e.value for e in app.error]
        assert app.metric or app.get("vega_lite_chart") or app.dataframe
    for thread in threads:
        thread.join()
    out, err = refresher.communicate()
    assert refresher.returncode == 0, err
    total_rows = int(out.strip())
    stop.touch()
    analyst_out, _ = analyst.communicate(timeout=60)
    analyst_report = json.loads(analyst_out)
    assert not errors, errors[:5]
    assert not analyst_report["errors"], analyst_report["errors"][:5]
    assert not analyst_report["inconsistent"], analyst_report["inconsistent"][:5]
    assert all(ok for _, ok in reads), [r for r in reads if not r[1]][:5]
    assert len({latest for latest, _ in reads}) >= 2, "the readers never overlapped a refresh"
    final, ok = consistent_read(db)
    assert ok
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.feedback").fetchall() == [(total_rows,)]
        assert con.execute("SELECT max(refresh_id) FROM meta.refreshes").fetchall() == [(final,)]
    print(
        f"\nconcurrency: {len(reads)} reader-thread reads, {analyst_report['reads']} analyst reads, "
        f"{sessions} dashboard sessions, {REFRESHES} refreshes, 0 errors"
    )
