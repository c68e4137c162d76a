"""Analysts and the dashboard keep reading the last good data while a real refresh runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from core.database import building_path
from tests.conftest import ROOT

HEADER = "Response ID,Score\n"


def write_rows(path: Path, start: int, stop: int, mode: str = "w") -> None:
    with path.open(mode) as handle:
        if mode == "w":
            handle.write(HEADER)
        handle.write("".join(f"R{i},{i % 11}\n" for i in range(start, stop)))


@pytest.mark.slow
def test_a_reader_in_another_process_sees_the_old_rows_until_the_new_ones_are_complete(tmp_path: Path) -> None:
    csv = tmp_path / "survey.csv"
    write_rows(csv, 0, 1000)
    config = tmp_path / "config.yaml"
    source = {
        "type": "csv",
        "path": str(csv),
        "delimiter": ",",
        "table": "feedback",
        "columns": {"response_id": {"from": "Response ID"}, "nps": {"from": "Score", "type": "integer"}},
    }
    (tmp_path / "kpis").mkdir()
    data = {
        "database": str(tmp_path / "cx.duckdb"),
        "kpi_definitions": str(tmp_path / "kpis"),
        "sources": {"s": source},
    }
    config.write_text(yaml.safe_dump(data))
    cli = [sys.executable, str(ROOT / "cli.py"), "--config", str(config), "refresh"]
    subprocess.run(cli, check=True, capture_output=True, cwd=ROOT)
    write_rows(csv, 1000, 600_000, mode="a")
    db = tmp_path / "cx.duckdb"
    refresh = subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen_while_building: list[int] = []
    seen: list[int] = []
    while refresh.poll() is None:
        building = building_path(db).exists()
        # A fresh read-only connection each time, as the dashboard and analysts open them.
        with duckdb.connect(str(db), read_only=True) as con:
            count = con.execute("SELECT count(*) FROM raw.feedback").fetchall()[0][0]
        seen.append(count)
        if building and building_path(db).exists():
            seen_while_building.append(count)
        time.sleep(0.01)
    assert refresh.wait() == 0, refresh.stderr.read() if refresh.stderr else ""
    assert seen_while_building, "the refresh finished before a read could overlap it"
    assert set(seen_while_building) == {1000}
    assert set(seen) <= {1000, 600_000}  # never a half-loaded table, never a lock error
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.feedback").fetchall() == [(600_000,)]
