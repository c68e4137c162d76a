"""Aggregating into cells first, then the cells into grouping sets, gives the one-pass counts.

`kpis.compile.grouped` takes the two-step form whenever every aggregate adds up. The reference
here is the same query in one pass (the roll-up switched off), and the totals are checked against
pandas on the same rows, on data with blank dimension values, blank scores and two time zones'
worth of period boundaries.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlglot import exp, parse_one

from kpis import compile as compile_module
from kpis.compile import grouped

AGGREGATES = {
    "rows": "COUNT(*)",
    "n": "COUNT(score)",
    "total": "SUM(score)",
    "squares": "SUM(score * score)",
    "low": "MIN(score)",
    "high": "MAX(score)",
    "hits": "COUNT(*) FILTER (WHERE score >= 4)",
    "hit_total": "SUM(score) FILTER (WHERE score >= 4)",
    "ratio": "100.0 * COUNT(*) FILTER (WHERE score >= 4) / NULLIF(COUNT(score), 0)",
    "nothing": "CAST(0 AS BIGINT)",
}


@pytest.fixture
def answers() -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(11)
    size = 20_000
    stamps = pd.Timestamp("2025-12-20", tz="UTC") + pd.to_timedelta(rng.integers(0, 80 * 24 * 3600, size), unit="s")
    frame = pd.DataFrame(
        {
            "answered_at": stamps,
            "region": rng.choice(np.array(["EMEA", "APAC", None], dtype=object), size),
            "team": rng.choice(np.array(["A", "B", "C", "D"], dtype=object), size),
            "score": pd.array(rng.integers(1, 6, size), dtype="Int64"),
        }
    )
    frame.loc[rng.random(size) < 0.1, "score"] = pd.NA
    con = duckdb.connect()
    con.register("answers_frame", frame)
    con.execute("CREATE TABLE answers AS SELECT * FROM answers_frame")
    return con


def _rows(timezone: str) -> exp.Select:
    periods = ", ".join(
        f"CAST(DATE_TRUNC('{g}', TIMEZONE('{timezone}', answered_at)) AS DATE) AS period_{g}" for g in ("week", "month")
    )
    select = parse_one(f"SELECT {periods}, region, team, score FROM answers", dialect="duckdb")
    assert isinstance(select, exp.Select)
    return select


def _query(aggregates: dict[str, str], timezone: str) -> str:
    parsed = {name: parse_one(sql, dialect="duckdb") for name, sql in aggregates.items()}
    return grouped(_rows(timezone), ("week", "month"), ("region", "team"), parsed).sql("duckdb")


def _result(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    keys = ["grain", "period_start", "dimension", "dimension_value"]
    return con.execute(sql).df().sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("timezone", ["Europe/London", "America/Santiago"])
def test_the_cells_add_up_to_the_one_pass_counts(
    answers: duckdb.DuckDBPyConnection, timezone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rolled_up = _query(AGGREGATES, timezone)
    assert "_cell_" in rolled_up  # the two-step form was taken
    monkeypatch.setattr(compile_module, "_rolled_up", lambda aggregates: None)
    one_pass = _query(AGGREGATES, timezone)
    assert "_cell_" not in one_pass
    two, one = _result(answers, rolled_up), _result(answers, one_pass)
    assert list(two.columns) == list(one.columns)
    assert two.dtypes.equals(one.dtypes)  # counts stay BIGINT, sums keep their type
    pd.testing.assert_frame_equal(two, one)
    # and the total by month against pandas on the same rows
    frame = answers.execute(f"SELECT timezone('{timezone}', answered_at) AS local, score FROM answers").df()
    month = frame.assign(month=frame["local"].dt.to_period("M").dt.start_time.dt.date).groupby("month")
    totals = two[(two["grain"] == "month") & (two["dimension"] == "total")].set_index("period_start")
    assert totals["rows"].tolist() == month.size().tolist()
    assert totals["n"].tolist() == month["score"].count().tolist()
    assert totals["total"].tolist() == month["score"].sum().tolist()
    assert totals["hits"].tolist() == month["score"].apply(lambda s: int((s >= 4).sum())).tolist()


def test_blank_dimension_values_keep_their_own_group(answers: duckdb.DuckDBPyConnection) -> None:
    result = _result(answers, _query(AGGREGATES, "UTC"))
    by_region = result[(result["grain"] == "month") & (result["dimension"] == "region")]
    assert set(by_region["dimension_value"]) == {"EMEA", "APAC", "(blank)"}
    totals = result[(result["grain"] == "month") & (result["dimension"] == "total")]
    assert by_region["rows"].sum() == totals["rows"].sum() == 20_000


@pytest.mark.parametrize(
    "aggregate",
    ["ARRAY_AGG(score ORDER BY score)", "COUNT(DISTINCT team)", "AVG(score)", "QUANTILE_CONT(score, 0.5)"],
)
def test_an_aggregate_that_does_not_add_up_keeps_the_query_in_one_pass(
    answers: duckdb.DuckDBPyConnection, aggregate: str
) -> None:
    sql = _query({"n": "COUNT(*)", "other": aggregate}, "UTC")
    assert "_cell_" not in sql
    assert len(answers.execute(sql).fetchall()) > 0


def test_a_window_is_not_rolled_up() -> None:
    assert compile_module._rolled_up({"other": parse_one("SUM(score) OVER ()", dialect="duckdb")}) is None
