"""The DuckDB file is swapped whole: readers are never blocked and never see half a refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from core.database import building_path, data_version, read_only, rebuilding
from core.errors import DatabaseError
from tests.conftest import ROOT, SURVEY_HEADER, write_config

BIG_ROWS = 2_000_000


def make_db(path: Path, rows: int) -> None:
    with rebuilding(path) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT range AS i FROM range(?)", [rows])


def count(path: Path) -> int:
    with read_only(path) as con:
        row = con.execute("SELECT count(*) FROM t").fetchone()
    return int(row[0]) if row else -1


def test_a_failed_rebuild_leaves_the_previous_file(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    before = data_version(db)
    with pytest.raises(RuntimeError), rebuilding(db) as con:
        con.execute("INSERT INTO t VALUES (99)")
        raise RuntimeError("source failed half way")
    assert count(db) == 3
    assert data_version(db) == before
    assert not building_path(db).exists()


def test_readers_keep_reading_while_a_rebuild_runs_and_see_the_new_data_after(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    with read_only(db) as reader:
        with rebuilding(db) as con:
            con.execute("INSERT INTO t SELECT range FROM range(10)")
            # Another process can open the current file read-only while the refresh is writing.
            probe = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import duckdb; print(duckdb.connect({str(db)!r}, read_only=True)"
                    ".execute('select count(*) from t').fetchone()[0])",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            assert probe.stdout.strip() == "3"
        row = reader.execute("SELECT count(*) FROM t").fetchone()
        assert row == (3,)  # an open reader keeps its snapshot of the old file
    assert count(db) == 13


def test_full_rebuild_starts_from_an_empty_file(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    with rebuilding(db, full=True) as con:
        tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    assert tables == (0,)


def test_a_missing_database_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=r"cli\.py refresh"), read_only(tmp_path / "none.duckdb"):
        pass


def test_a_corrupt_database_is_reported_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    db.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(DatabaseError, match="refresh --full"), read_only(db):
        pass


@pytest.mark.slow
def test_a_refresh_killed_mid_load_leaves_the_last_good_data(tmp_path: Path) -> None:
    csv = tmp_path / "survey.csv"
    line = "R{i},2025-01-05 10:00:00,C1,Phone,EMEA,Billing,Mobile,Frontline Phone,{s},5,7,fine"
    csv.write_text(SURVEY_HEADER + "\n" + "\n".join(line.format(i=i, s=i % 11) for i in range(1000)) + "\n")
    config = write_config(tmp_path, only=("survey_responses",))
    text = config.read_text().replace(str(ROOT / "demo/data/survey_responses.csv"), str(csv))
    config.write_text(text)
    cli = [sys.executable, str(ROOT / "cli.py"), "--config", str(config), "refresh"]
    subprocess.run(cli, check=True, capture_output=True, cwd=ROOT)
    db = tmp_path / "cx.duckdb"
    good = data_version(db)
    # A much bigger export takes long enough to load that the kill lands mid-refresh.
    with csv.open("a") as handle:
        for start in range(1000, 1000 + BIG_ROWS, 100_000):
            handle.write("\n".join(line.format(i=i, s=i % 11) for i in range(start, start + 100_000)) + "\n")
    process = subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not building_path(db).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    assert process.poll() is None, "the refresh finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert data_version(db) == good
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.feedback").fetchone() == (1000,)
    finished = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, check=False)
    assert finished.returncode == 0, finished.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.feedback").fetchone() == (1000 + BIG_ROWS,)


def test_a_new_reader_sees_the_new_file_while_an_old_reader_is_still_open(tmp_path: Path) -> None:
    # Regression: duckdb.connect() reused the instance another open connection held, so a
    # dashboard session opened after a refresh kept showing the old data for as long as any
    # reader in the process stayed open (the analyst's connection, a slow rerun).
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    with read_only(db) as old:
        make_db(db, 5)
        assert count(db) == 5
        assert old.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    with duckdb.connect(str(db), read_only=True) as analyst:
        make_db(db, 7)
        assert count(db) == 7
        assert analyst.execute("SELECT count(*) FROM t").fetchall() == [(5,)]


def test_a_reader_can_touch_no_other_file(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with read_only(db) as con:
        for statement in (
            f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            "SET enable_external_access = true",
            f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement)
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()


def test_the_file_the_last_refresh_wrote_is_not_read_whole_again_but_any_other_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.database

    checked: list[Path] = []
    real = core.database.damage

    def counting(path: Path, schemas: tuple[str, ...] | None = None) -> str | None:
        checked.append(path)
        return real(path, schemas)

    monkeypatch.setattr(core.database, "damage", counting)
    db = tmp_path / "x.duckdb"
    make_db(db, 3)
    checked.clear()
    make_db(db, 4)
    assert checked == []  # the file the first refresh swapped in, untouched since
    stat = db.stat()
    db.write_bytes(db.read_bytes())  # rewritten with the same bytes, then its times set back
    os.utime(db, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    make_db(db, 5)
    assert checked == [db]  # the ctime says it was written since: read it whole
    assert count(db) == 5


def test_a_memory_limit_caps_the_refresh_connection(tmp_path: Path) -> None:
    """config.yaml's memory_limit reaches DuckDB, which then spills rather than grow past it."""
    with rebuilding(tmp_path / "cx.duckdb", memory_limit="300MB") as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == ("286.1 MiB",)  # 300 MB in DuckDB's binary units
