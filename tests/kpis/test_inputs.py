"""A table's version changes with every row the loader adds, replaces or deletes."""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp

from kpis.compute import raw_schema
from kpis.inputs import TableVersions, reads_the_clock


def versions(con: duckdb.DuckDBPyConnection) -> TableVersions:
    return TableVersions(con, raw_schema(con))


def test_every_added_replaced_or_deleted_row_changes_the_version() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.cases (case_id VARCHAR, status VARCHAR, _load_id VARCHAR)")
    con.execute("INSERT INTO raw.cases VALUES ('K1', 'Open', 'L1'), ('K2', 'Open', 'L1')")
    seen = [versions(con).of("cases")]
    con.execute("INSERT INTO raw.cases VALUES ('K3', 'Open', 'L2')")  # appended
    seen.append(versions(con).of("cases"))
    con.execute("DELETE FROM raw.cases WHERE case_id = 'K1'")  # replaced by key: same count as before
    con.execute("INSERT INTO raw.cases VALUES ('K1', 'Closed', 'L3')")
    seen.append(versions(con).of("cases"))
    con.execute("DELETE FROM raw.cases WHERE _load_id = 'L2'")  # a file forgotten
    seen.append(versions(con).of("cases"))
    assert len(set(seen)) == len(seen), seen
    assert versions(con).of("cases") == seen[-1]  # and nothing else does


def test_a_table_not_written_by_the_loader_has_no_version_and_an_absent_one_is_absent() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.feedback (nps INTEGER)")
    found = versions(con)
    assert found.of("feedback") is None
    assert found.fingerprint(["feedback"], "anything") is None  # so whatever reads it is computed
    assert found.of("cases") == (0, "absent")
    assert found.fingerprint(["cases"], "a") != found.fingerprint(["cases"], "b")


def test_a_query_that_reads_the_date_or_a_random_number_reads_the_clock() -> None:
    def parsed(sql: str) -> exp.Expr:
        return sqlglot.parse_one(sql, dialect="duckdb")

    assert reads_the_clock(parsed("SELECT count(*) FROM raw.feedback WHERE responded_at >= current_date - 7"))
    assert reads_the_clock(parsed("SELECT now()")) and reads_the_clock(parsed("SELECT random()"))
    assert not reads_the_clock(parsed("SELECT count(*) FROM raw.feedback WHERE nps >= 9"))


def test_the_engine_version_follows_the_code_and_the_duckdb_release(monkeypatch) -> None:
    from pathlib import Path

    from kpis import inputs

    inputs.engine_version.cache_clear()
    current = inputs.engine_version()
    assert current == inputs.engine_version()
    monkeypatch.setattr(duckdb, "__version__", "9.9.9")
    inputs.engine_version.cache_clear()
    upgraded = inputs.engine_version()
    monkeypatch.undo()
    real_read = Path.read_bytes

    def edited(path: Path) -> bytes:
        text = real_read(path)
        return text + b"\n# edited" if path.name == "nps.py" else text

    monkeypatch.setattr(Path, "read_bytes", edited)
    inputs.engine_version.cache_clear()
    edited_version = inputs.engine_version()
    monkeypatch.undo()
    inputs.engine_version.cache_clear()
    assert len({current, upgraded, edited_version}) == 3
    assert inputs.engine_version() == current
