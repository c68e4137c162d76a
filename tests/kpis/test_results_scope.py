"""Every read of the data layer applies the viewer's scope: a regional role never gets other data."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from core.access import Scope
from core.config import AppConfig
from core.refresh import RefreshReport
from kpis import results

EMEA = Scope({"region": frozenset({"EMEA"})})


@pytest.fixture
def con(demo_build: tuple[AppConfig, RefreshReport]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(demo_build[0].database), read_only=True)


def test_the_total_becomes_the_viewers_slice(con: duckdb.DuckDBPyConnection) -> None:
    mine = results.series(con, "nps", "month", scope=EMEA)
    assert set(mine["dimension"]) == {"region"} and set(mine["dimension_value"]) == {"EMEA"}
    asked_for_apac = results.series(con, "nps", "month", "region", "APAC", scope=EMEA)
    assert asked_for_apac.empty


def test_breakdowns_and_dimension_values_hold_only_the_viewers_rows(con: duckdb.DuckDBPyConnection) -> None:
    period = pd.Timestamp("2026-10-01")
    rows = results.breakdown(con, "nps", "month", period, scope=EMEA)
    assert set(zip(rows["dimension"], rows["dimension_value"], strict=True)) == {("region", "EMEA")}
    values = results.dimension_values(con, scope=EMEA)
    assert set(values["dimension_value"]) == {"EMEA"}
    unrestricted = results.dimension_values(con)
    assert {"APAC", "Phone"} <= set(unrestricted["dimension_value"])


def test_comments_and_wins_hold_only_the_viewers_region(con: duckdb.DuckDBPyConnection) -> None:
    since, until = pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
    page, total = results.comments(
        con, table="feedback", time_column="responded_at", score="nps", comment="comment", since=since,
        until=until, scores=(0, 10), where={}, limit=500, scope=EMEA,
    )  # fmt: skip
    _, everyone_total = results.comments(
        con, table="feedback", time_column="responded_at", score="nps", comment="comment", since=since,
        until=until, scores=(0, 10), where={}, limit=500,
    )  # fmt: skip
    assert set(page["region"]) == {"EMEA"} and 0 < total < everyone_total
    wins = results.wins(con, since, until, 1000, scope=EMEA)
    assert not wins.empty and {dict(f)["region"] for f in wins["filters"]} == {"EMEA"}


def test_a_role_on_a_dimension_a_table_lacks_sees_none_of_it(con: duckdb.DuckDBPyConnection) -> None:
    by_platform = Scope({"platform": frozenset({"App Store"})})
    since, until = pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
    page, total = results.comments(
        con, table="feedback", time_column="responded_at", score="nps", comment="comment", since=since,
        until=until, scores=(0, 10), where={}, limit=10, scope=by_platform,
    )  # fmt: skip
    assert total == 0 and page.empty
