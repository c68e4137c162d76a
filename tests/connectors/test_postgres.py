"""PostgreSQL through ADBC against a real server started by the fixture: types, increments, errors."""

from __future__ import annotations

from typing import Any

import pytest

from core.refresh import refresh
from tests.connectors.conftest import MakeSources, PostgresServer, rows

CASES: dict[str, Any] = {
    "case_id": {"required": True},
    "opened_at": {"type": "timestamp"},
    "status": {"allowed": ["Open", "Closed"]},
    "handle_hours": {"from": "hours", "type": "double"},
    "reopen_count": {"from": "reopens", "type": "integer", "min": 0},
    "escalated": {"type": "boolean"},
}


@pytest.fixture
def cases_table(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    table = f"cases_{request.node.name[-20:].lower().replace('[', '_').replace(']', '')}"
    table = "".join(c for c in table if c.isalnum() or c == "_")
    postgres_server.execute(
        f"DROP TABLE IF EXISTS support.{table}",
        "CREATE SCHEMA IF NOT EXISTS support",
        f"CREATE TABLE support.{table} (case_id text PRIMARY KEY, opened_at timestamptz, status text, "
        "hours numeric(8,2), reopens integer, escalated boolean, updated_at timestamptz)",
        f"INSERT INTO support.{table} VALUES "
        "('K1', '2025-01-05 10:00:00+00', 'Open', 1.50, 0, false, '2025-01-05 10:00:00+00'),"
        "('K2', '2025-01-05 11:00:00+01', 'Closed', 2.25, 1, true, '2025-01-05 11:00:00+00'),"
        "('K3', '2025-01-06 09:00:00+00', 'Lost', 3.00, -1, NULL, '2025-01-06 09:00:00+00')",
    )
    return f"support.{table}"


def pg_source(server: PostgresServer, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, Any]:
    monkeypatch.setenv("CX_TEST_PG_PASSWORD", server.password)
    return {
        "type": "postgres",
        "host": server.host,
        "port": server.port,
        "database": "postgres",
        "user": server.user,
        "password_env": "CX_TEST_PG_PASSWORD",
        "table": "cases",
        "columns": CASES,
        **extra,
    }


def test_a_table_loads_with_numeric_boolean_and_time_zones_and_rejects_by_row(
    postgres_server: PostgresServer, cases_table: str, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sources_config(tickets=pg_source(postgres_server, monkeypatch, source_table=cases_table))
    report = refresh(config)
    load = report.loads[0]
    assert load.error is None, load.error
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (3, 2, 1)
    assert rows(config, "SELECT case_id, epoch(opened_at), handle_hours, reopen_count, escalated FROM raw.cases "
                "ORDER BY 1") == [("K1", 1736071200.0, 1.5, 0, False), ("K2", 1736071200.0, 2.25, 1, True)]  # fmt: skip
    rejected = rows(config, "SELECT file, reason FROM meta.rejects")
    assert rejected == [
        (f"postgres:{cases_table}", "status: Lost is not one of Open, Closed; reopen_count: -1 is outside 0..")
    ]
    assert refresh(config).loads[0].status == "unchanged"  # same rows: nothing to do
    postgres_server.execute(f"UPDATE {cases_table} SET status = 'Closed' WHERE case_id = 'K1'")
    again = refresh(config).loads[0]
    assert again.files[0].action == "replaced"
    assert rows(config, "SELECT case_id, status FROM raw.cases ORDER BY 1") == [("K1", "Closed"), ("K2", "Closed")]


def test_a_query_source_reads_what_the_query_selects(
    postgres_server: PostgresServer, cases_table: str, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = f"SELECT * FROM {cases_table} WHERE status <> 'Lost'"
    config = sources_config(tickets=pg_source(postgres_server, monkeypatch, query=query))
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (2, 2, 0)


def test_a_cursor_loads_only_new_and_changed_rows_and_the_primary_key_updates_them(
    postgres_server: PostgresServer, cases_table: str, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = pg_source(
        postgres_server, monkeypatch, source_table=cases_table, cursor="updated_at", primary_key=["case_id"]
    )
    config = sources_config(tickets=source)
    first = refresh(config).loads[0]
    assert (first.rows_read, first.rows_loaded, first.rows_rejected) == (3, 2, 1)
    assert refresh(config).loads[0].status == "unchanged"
    postgres_server.execute(
        f"UPDATE {cases_table} SET status = 'Closed', updated_at = '2025-01-07 08:00:00+00' WHERE case_id = 'K1'",
        f"INSERT INTO {cases_table} VALUES ('K4', '2025-01-07 09:00:00+00', 'Open', 0.5, 0, false, "
        "'2025-01-07 09:00:00+00')",
    )
    second = refresh(config).loads[0]
    assert (second.rows_read, second.rows_loaded, second.files[0].action) == (2, 2, "updated")
    assert rows(config, "SELECT case_id, status FROM raw.cases ORDER BY 1") == [
        ("K1", "Closed"),
        ("K2", "Closed"),
        ("K4", "Open"),
    ]
    assert rows(config, "SELECT checksum FROM meta.files")[0][0].startswith("cursor:updated_at=2025-01-07 09:00:00")


def test_credentials_and_server_problems_are_one_line_each(
    postgres_server: PostgresServer, cases_table: str, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    def error(**extra: Any) -> str:
        source = pg_source(postgres_server, monkeypatch, source_table=cases_table) | extra
        message = refresh(sources_config(tickets=source)).loads[0].error or ""
        assert message.startswith("[tickets] ") and "\n" not in message, message
        return message

    monkeypatch.setenv("CX_TEST_PG_WRONG", "not-the-password")
    wrong = error(password_env="CX_TEST_PG_WRONG")
    assert "refused the password for user postgres; set $CX_TEST_PG_WRONG to the right password" in wrong
    assert "not-the-password" not in wrong
    assert "cannot reach PostgreSQL at 127.0.0.1:1; check host and port" in error(port=1)
    assert "has no table support.nothing; check 'source_table:'" in error(source_table="support.nothing")
    assert "environment variable CX_TEST_PG_UNSET is not set" in error(password_env="CX_TEST_PG_UNSET")
    monkeypatch.setenv("CX_TEST_PG_DSN", postgres_server.uri())
    dsn = {"dsn_env": "CX_TEST_PG_DSN", "host": None, "database": None, "user": None, "password_env": None}
    source = pg_source(postgres_server, monkeypatch, source_table=cases_table) | dsn
    assert refresh(sources_config(tickets=source)).loads[0].rows_loaded == 2
