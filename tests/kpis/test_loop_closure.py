"""Loop closure: percentiles, the SLA share with open cases as misses, the backlog, business hours."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlglot import exp

from kpis.measures.clock import BusinessHours, business_hours_between
from kpis.measures.loop_closure import QUANTILES, LoopClosureSpec, backlog_query, sorted_quantile
from tests.kpis.test_proportion_and_mean import totals

Values = Callable[..., pd.DataFrame]

LOOP: dict[str, Any] = {
    "name": "loop",
    "display_name": "Loop closure",
    "type": "loop_closure",
    "description": "test",
    "table": "cases",
    "start": "opened_at",
    "end": "closed_at",
    "statistic": "median_hours",
    "direction": "lower_is_better",
    "sla_hours": 48,
    "reopen_count": "reopens",
}


def case(opened: str, hours: float | None, reopens: int = 0, team: str = "Billing") -> dict[str, Any]:
    start = pd.Timestamp(opened, tz="UTC")
    closed = None if hours is None else (start + pd.Timedelta(hours=hours)).isoformat()
    return {"opened_at": start.isoformat(), "closed_at": closed, "reopens": reopens, "team": team}


def test_median_and_p90_of_cases_closed_in_the_period(kpi_values: Values) -> None:
    hours = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    cases = [case("2026-01-02 00:00", h) for h in hours] + [case("2026-03-01 00:00", 1)]  # the last closes in March
    row = totals(kpi_values(LOOP, {"cases": cases})).iloc[0]
    assert row["n"] == 11
    assert row["value"] == pytest.approx(np.percentile(hours, 50))
    details = json.loads(row["details"])
    assert details["p90_hours"] == pytest.approx(np.percentile(hours, 90))
    # 95% interval of the median: order statistics at binomial ranks (1-based).
    spread = 1.959963984540054 * math.sqrt(11 * 0.5 * 0.5)
    low, high = max(1, math.floor(5.5 - spread)), min(11, math.ceil(5.5 + spread) + 1)
    assert (row["ci_low"], row["ci_high"]) == (sorted(hours)[low - 1], sorted(hours)[high - 1])


def test_the_sla_share_counts_open_cases_past_their_deadline_as_misses(kpi_values: Values) -> None:
    cases = [
        case("2026-01-05 00:00", 10),  # met
        case("2026-01-05 00:00", 47.9),  # met
        case("2026-01-05 00:00", 72),  # missed
        case("2026-01-05 00:00", None),  # open past its deadline: missed
        case("2026-01-28 00:00", 1, reopens=2),  # deadline 30 Jan, met, reopened
        case("2026-02-20 00:00", None),  # deadline after the data's end: not yet due
    ]
    kpi = {**LOOP, "statistic": "within_sla_share", "direction": "higher_is_better"}
    row = totals(kpi_values(kpi, {"cases": cases})).iloc[0]
    assert (row["n"], row["positive"], row["negative"]) == (5, 3, 2)
    assert row["value"] == pytest.approx(60.0)
    details = json.loads(row["details"])
    assert (details["open_overdue"], details["reopened"]) == (1, 1)
    excluded = totals(kpi_values({**kpi, "open_cases": "exclude"}, {"cases": cases})).iloc[0]
    assert excluded["value"] == pytest.approx(75.0)  # 3 of the 4 closed cases


def test_the_backlog_buckets_open_cases_by_age_at_the_data_as_of_time() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.cases (opened_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, team VARCHAR)")
    con.execute(
        """INSERT INTO raw.cases VALUES
        ('2026-01-10 00:00+00', '2026-01-20 00:00+00', 'A'),  -- closed; its end is the as-of time
        ('2026-01-19 12:00+00', NULL, 'A'),                   -- 12 h old
        ('2026-01-18 12:00+00', NULL, 'B'),                   -- 36 h
        ('2026-01-15 00:00+00', NULL, 'B'),                   -- 5 days, overdue
        ('2026-01-01 00:00+00', NULL, 'B')                    -- 19 days, overdue"""
    )
    spec = LoopClosureSpec.model_validate({**LOOP, "dimensions": ["team"], "owner": {"name": "x"}})
    rows = con.execute(backlog_query(spec).sql("duckdb")).fetchall()
    total = {r[3]: (r[5], r[6]) for r in rows if r[1] == "total"}
    assert total == {"under 24 h": (1, 0), "24-48 h": (1, 0), "2-7 days": (1, 1), "over 7 days": (1, 1)}
    team_b = {r[3]: r[5] for r in rows if r[1] == "team" and r[2] == "B"}
    assert team_b == {"24-48 h": 1, "2-7 days": 1, "over 7 days": 1}


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    hours = BusinessHours.model_validate({"holidays": ["2026-01-05"]})  # 09:00-17:00 Mon-Fri
    expression = business_hours_between(exp.column("s"), exp.column("e"), hours).sql("duckdb")
    con = duckdb.connect()
    # Friday 15:00 to Tuesday 10:00 with Monday a holiday: 2 h on Friday + 1 h on Tuesday.
    value = con.execute(
        f"SELECT {expression} FROM (SELECT TIMESTAMP '2026-01-02 15:00' AS s, TIMESTAMP '2026-01-06 10:00' AS e)"
    ).fetchone()
    assert value == (3.0,)


def test_business_hours_clock_end_to_end(kpi_values: Values) -> None:
    kpi = {**LOOP, "clock": "business_hours", "statistic": "within_sla_share", "direction": "higher_is_better"}
    kpi["sla_hours"] = 8
    cases = [
        case("2026-01-09 16:00", 66),  # Fri 16:00 -> Mon 10:00: 2 business hours, met
        case("2026-01-12 09:00", 30),  # Mon 09:00 -> Tue 15:00: 14 business hours, missed
        case("2026-01-26 09:00", 1),  # later data
    ]
    row = totals(kpi_values(kpi, {"cases": cases})).iloc[0]
    assert (row["n"], row["positive"]) == (2, 1)


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11, 37, 1000])
def test_percentiles_read_off_the_sorted_times_are_linear_interpolation(size: int) -> None:
    """Median and p90 from one sorted list, as numpy's (linear) percentile and DuckDB's quantile_cont give them."""
    rng = np.random.default_rng(size)
    hours = rng.gamma(2.0, 30.0, size).round(3)
    sorted_times = exp.column("s")
    figures = ", ".join(f"{sorted_quantile(sorted_times, q).sql('duckdb')}" for q in QUANTILES.values())
    quantile_cont = ", ".join(f"quantile_cont(h, {q})" for q in QUANTILES.values())
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t AS SELECT unnest(?::DOUBLE[]) AS h", [hours.tolist()])
        ours = con.execute(f"SELECT {figures} FROM (SELECT list(h ORDER BY h) AS s FROM t)").fetchone()
        duck = con.execute(f"SELECT {quantile_cont} FROM t").fetchone()
    assert ours is not None and duck is not None
    for got, from_duckdb, q in zip(ours, duck, QUANTILES.values(), strict=True):
        assert got == pytest.approx(np.percentile(hours, 100 * q), rel=1e-12)
        assert got == pytest.approx(from_duckdb, rel=1e-12)
