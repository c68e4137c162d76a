"""The bundled KPI catalog on the bundled demo data, checked against SQL written independently."""

from __future__ import annotations

import duckdb
import pytest

from core.config import AppConfig
from core.refresh import RefreshReport

Build = tuple[AppConfig, RefreshReport]


@pytest.fixture
def con(demo_build: Build) -> duckdb.DuckDBPyConnection:
    config, _ = demo_build
    connection = duckdb.connect(str(config.database), read_only=True)
    connection.execute("SET TimeZone = 'Europe/London'")
    return connection


def test_every_bundled_kpi_is_computed_with_its_owner_and_category(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT kpi, status, owner_name, category, statistic FROM kpi.catalog ORDER BY kpi").fetchall()
    assert [r[0] for r in rows] == [
        "ces", "csat", "engagement", "enps", "experience_balance", "loop_closure_sla", "loop_closure_time", "nps"
    ]  # fmt: skip
    assert all(r[1] == "ok" and r[2] for r in rows)
    assert {r[0]: r[3] for r in rows}["engagement"] == "employee"


def test_every_table_view_and_column_is_documented(con: duckdb.DuckDBPyConnection) -> None:
    relations = con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() "
        "UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    assert {(s, t) for s, t, _ in relations} >= {
        ("kpi", "kpi_values"), ("kpi", "latest"), ("kpi", "catalog"), ("kpi", "loop_backlog"), ("kpi", "wins"),
        ("raw", "feedback"), ("raw", "cases"), ("raw", "employee_pulse"), ("raw", "reviews"), ("meta", "rejects"),
    }  # fmt: skip
    assert [(s, t) for s, t, comment in relations if not comment] == []
    undocumented = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('kpi', 'raw', 'meta') AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert undocumented == []


def test_raw_column_comments_say_what_the_column_means_and_where_it_came_from(
    con: duckdb.DuckDBPyConnection,
) -> None:
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = 'feedback' "
        "AND column_name = 'nps'"
    ).fetchone()
    assert comment == (
        "How likely the customer is to recommend us (relationship NPS question). "
        "From 'Likelihood to Recommend (0-10)' in source 'survey_responses' (integer; valid 0..10).",
    )


def test_monthly_csat_matches_hand_written_sql(con: duckdb.DuckDBPyConnection) -> None:
    expected = con.execute(
        """SELECT date_trunc('month', timezone('Europe/London', responded_at))::DATE AS month,
                  100.0 * count(*) FILTER (csat IN (4, 5)) / count(*) FILTER (csat BETWEEN 1 AND 5)
           FROM raw.feedback GROUP BY ALL ORDER BY month"""
    ).fetchall()
    stored = con.execute(
        "SELECT period_start, value FROM kpi.kpi_values WHERE kpi = 'csat' AND grain = 'month' "
        "AND dimension = 'total' ORDER BY period_start"
    ).fetchall()
    assert [m for m, _ in stored] == [m for m, _ in expected]
    assert [v for _, v in stored] == pytest.approx([v for _, v in expected])


def test_positive_experiences_pool_surveys_and_reviews(con: duckdb.DuckDBPyConnection) -> None:
    expected = con.execute(
        """WITH experiences AS (
               SELECT responded_at AS at_time, csat >= 4 AS good, csat <= 2 AS bad FROM raw.feedback
               WHERE csat IS NOT NULL
               UNION ALL
               SELECT published_at, sentiment = 'positive', sentiment = 'negative' FROM raw.reviews
               WHERE sentiment IS NOT NULL)
           SELECT count(*) FILTER (good), count(*) FILTER (bad AND NOT good), count(*)
           FROM experiences
           WHERE date_trunc('quarter', timezone('Europe/London', at_time)) = DATE '2026-07-01'"""
    ).fetchone()
    stored = con.execute(
        "SELECT positive, negative, n FROM kpi.kpi_values WHERE kpi = 'experience_balance' AND grain = 'quarter' "
        "AND dimension = 'total' AND period_start = DATE '2026-07-01'"
    ).fetchone()
    assert stored == expected


def test_the_loop_backlog_counts_every_open_case(con: duckdb.DuckDBPyConnection) -> None:
    open_cases = con.execute("SELECT count(*) FROM raw.cases WHERE closed_at IS NULL").fetchone()
    backlog = con.execute(
        "SELECT sum(open_cases) FROM kpi.loop_backlog WHERE kpi = 'loop_closure_sla' AND dimension = 'total'"
    ).fetchone()
    assert backlog == open_cases


def test_no_employee_score_is_stored_for_a_group_under_the_anonymity_minimum(con: duckdb.DuckDBPyConnection) -> None:
    leaks = con.execute(
        "SELECT count(*) FROM kpi.kpi_values WHERE kpi IN ('engagement', 'enps') AND n < 5 "
        "AND (value IS NOT NULL OR ci_low IS NOT NULL OR positive IS NOT NULL OR details IS NOT NULL)"
    ).fetchone()
    hidden = con.execute("SELECT count(*) FROM kpi.kpi_values WHERE suppressed").fetchone()
    assert leaks == (0,)
    assert hidden is not None and hidden[0] > 0  # the demo has small teams: the rule is exercised
