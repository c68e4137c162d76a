"""NPS on real DuckDB against values worked out by hand (shared/KPI_MATH.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest

from tests.kpis.conftest import month_rows, total

Compute = Callable[..., pd.DataFrame]


def test_public_example_10_7_3_9_is_25(compute: Compute) -> None:
    row = total(compute(month_rows("2025-01", [10, 7, 3, 9]))).iloc[0]
    assert (row["positive"], row["neutral"], row["negative"], row["n"]) == (2, 1, 1, 4)
    assert row["value"] == pytest.approx(25.0)
    assert row["numerator"] == 1 and row["denominator"] == 4


def test_public_example_60_promoters_30_passives_10_detractors_is_50(compute: Compute) -> None:
    scores = [10] * 60 + [8] * 30 + [2] * 10
    assert total(compute(month_rows("2025-01", scores))).iloc[0]["value"] == pytest.approx(50.0)


def test_interval_matches_the_worked_example_at_n_324(compute: Compute) -> None:
    # p = 1/2, passives 1/3, d = 1/6 at N = 324 -> NPS 33.3, SE 4.14, 95% CI 25.2 .. 41.4
    scores = [9] * 162 + [7] * 108 + [0] * 54
    row = total(compute(month_rows("2025-01", scores))).iloc[0]
    assert row["value"] == pytest.approx(100 / 3)
    variance = (1 / 2 + 1 / 6) - (1 / 2 - 1 / 6) ** 2
    assert row["variance"] == pytest.approx(variance)
    se = 100 * math.sqrt(variance / 324)
    assert se == pytest.approx(4.14, abs=0.005)
    assert round(row["ci_low"], 1) == 25.2
    assert round(row["ci_high"], 1) == 41.4


@pytest.mark.parametrize(("score", "expected"), [(6, -100.0), (7, 0.0), (8, 0.0), (9, 100.0), (0, -100.0), (10, 100.0)])
def test_band_boundaries(compute: Compute, score: int, expected: float) -> None:
    assert total(compute(month_rows("2025-01", [score]))).iloc[0]["value"] == expected


def test_blank_and_out_of_scale_answers_are_invalid_not_counted(compute: Compute) -> None:
    row = total(compute(month_rows("2025-01", [10, None, 11, -1]))).iloc[0]
    assert row["n"] == 1
    assert row["invalid"] == 3
    assert row["value"] == 100.0


def test_a_period_without_valid_answers_has_no_value_not_zero(compute: Compute) -> None:
    values = total(compute(month_rows("2025-01", [10, 3]) + month_rows("2025-02", [None, None])))
    february = values.iloc[1]
    assert february["n"] == 0
    assert pd.isna(february["value"])
    assert february["status"] == "no data"
    # A month with no rows at all is simply absent: never a 0.
    assert list(values["period_start"]) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]


def test_single_response_period(compute: Compute) -> None:
    row = total(compute(month_rows("2025-01", [9]))).iloc[0]
    assert row["value"] == 100.0 and row["n"] == 1
    assert row["ci_low"] == 100.0 and row["ci_high"] == 100.0  # zero variance: the interval collapses


def test_roll_up_pools_counts_instead_of_averaging_unit_scores(compute: Compute) -> None:
    emea = month_rows("2025-01", [10] * 9 + [0], "EMEA")  # NPS 80 on 10 answers
    apac = month_rows("2025-01", [0] * 90 + [10] * 10, "APAC")  # NPS -80 on 100 answers
    values = compute(emea + apac)
    by_region = values[values["dimension"] == "region"].set_index("dimension_value")["value"]
    assert by_region["EMEA"] == pytest.approx(80.0)
    assert by_region["APAC"] == pytest.approx(-80.0)
    pooled = 100 * (19 - 91) / 110
    assert total(values).iloc[0]["value"] == pytest.approx(pooled)
    assert pooled != pytest.approx((80 - 80) / 2)


def test_change_and_its_significance_match_an_independent_two_sample_z_test(compute: Compute) -> None:
    january = [10] * 50 + [8] * 30 + [3] * 20  # NPS 30
    february = [10] * 30 + [8] * 30 + [3] * 40  # NPS -10
    values = total(compute(month_rows("2025-01", january) + month_rows("2025-02", february)))
    feb = values.iloc[1]
    assert feb["previous_value"] == pytest.approx(30.0)
    assert feb["change"] == pytest.approx(-40.0)
    var1 = (0.5 + 0.2) - (0.5 - 0.2) ** 2
    var2 = (0.3 + 0.4) - (0.3 - 0.4) ** 2
    z = (-10 - 30) / (100 * math.sqrt(var1 / 100 + var2 / 100))
    assert feb["change_p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert bool(feb["change_significant"]) is True
    assert pd.isna(values.iloc[0]["change_p_value"])  # nothing to compare January with


def test_small_change_is_not_significant(compute: Compute) -> None:
    values = total(compute(month_rows("2025-01", [10, 10, 3, 8]) + month_rows("2025-02", [10, 3, 3, 8])))
    assert bool(values.iloc[1]["change_significant"]) is False


def test_targets_change_over_time_and_drive_the_status(compute: Compute) -> None:
    rows = month_rows("2025-01", [10] * 6 + [0] * 4) + month_rows("2025-02", [10] * 6 + [0] * 4)
    rows += month_rows("2025-03", [10] * 6 + [0] * 4)
    targets = [
        {"from": "2025-01-01", "value": 20},
        {"from": "2025-02-01", "value": 23},
        {"from": "2025-03-01", "value": 30},
    ]
    values = total(compute(rows, targets=targets, status={"amber_within": 5}))
    assert list(values["value"]) == [20.0, 20.0, 20.0]
    assert list(values["target"]) == [20.0, 23.0, 30.0]
    assert list(values["status"]) == ["on target", "at risk", "off target"]


def test_lower_is_better_inverts_the_status(compute: Compute) -> None:
    values = total(
        compute(
            month_rows("2025-01", [10, 0]), targets=[{"from": "2025-01-01", "value": 10}], direction="lower_is_better"
        )
    )
    assert values.iloc[0]["status"] == "on target"  # 0 is below the target of 10


def test_low_sample_is_flagged_below_min_n(compute: Compute) -> None:
    values = total(compute(month_rows("2025-01", [10] * 29) + month_rows("2025-02", [10] * 30), min_n=30))
    assert list(values["low_sample"]) == [True, False]


def test_periods_are_counted_in_the_configured_time_zone(compute: Compute) -> None:
    # 23:30 UTC on 31 March 2025 is 00:30 on 1 April in London (summer time).
    rows = [("2025-03-31 23:30:00+00", 10, "EMEA"), ("2025-03-31 22:30:00+00", 0, "EMEA")]
    london = total(compute(rows, timezone="Europe/London"))
    assert [d.date() for d in london["period_start"]] == [date(2025, 3, 1), date(2025, 4, 1)]
    utc = total(compute(rows, timezone="UTC"))
    assert [d.date() for d in utc["period_start"]] == [date(2025, 3, 1)]


@pytest.mark.parametrize(("week_start", "expected"), [(0, date(2025, 1, 6)), (6, date(2025, 1, 12))])
def test_weeks_start_on_the_configured_day(compute: Compute, week_start: int, expected: date) -> None:
    # Sunday 12 January 2025: in a Monday week it belongs to the week of Monday the 6th.
    values = compute([("2025-01-12 12:00:00+00", 10, "EMEA")], week_start=week_start, grains=["week"])
    assert total(values, "week").iloc[0]["period_start"].date() == expected
    assert total(values, "week").iloc[0]["period_end"].date() == expected + pd.Timedelta(days=6)


def test_filter_selects_rows(compute: Compute) -> None:
    rows = month_rows("2025-01", [10, 10], "EMEA") + month_rows("2025-01", [0], "APAC")
    values = total(compute(rows, filter="region <> 'APAC'"))
    assert values.iloc[0]["value"] == 100.0 and values.iloc[0]["n"] == 2
