"""CSAT % (proportion) and CES (mean) on real DuckDB, against KPI_MATH.md's worked examples."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pytest
from scipy import stats

Values = Callable[..., pd.DataFrame]

CSAT: dict[str, Any] = {
    "name": "csat",
    "display_name": "CSAT %",
    "type": "proportion",
    "description": "test",
    "table": "feedback",
    "time_column": "responded_at",
    "score": "csat",
    "scale": [1, 5],
    "success": [4, 5],
}
CES: dict[str, Any] = {
    "name": "ces",
    "display_name": "CES",
    "type": "mean",
    "description": "test",
    "table": "feedback",
    "time_column": "responded_at",
    "score": "ces",
    "scale": [1, 7],
}


def answers(column: str, month: str, scores: Sequence[int | None]) -> list[dict[str, Any]]:
    return [{"responded_at": f"{month}-10 12:00:00+00", column: score} for score in scores]


def totals(values: pd.DataFrame) -> pd.DataFrame:
    rows = values[(values["dimension"] == "total") & (values["grain"] == "month")]
    return rows.sort_values("period_start").reset_index(drop=True)


@pytest.mark.parametrize(
    ("satisfied", "n", "low", "high"), [(8, 10, 49.0, 94.3), (80, 100, 71.1, 86.7)], ids=["8 of 10", "80 of 100"]
)
def test_csat_share_and_wilson_interval_match_the_worked_examples(
    kpi_values: Values, satisfied: int, n: int, low: float, high: float
) -> None:
    scores = [5] * satisfied + [2] * (n - satisfied)
    row = totals(kpi_values(CSAT, {"feedback": answers("csat", "2026-01", scores)})).iloc[0]
    assert row["value"] == pytest.approx(100 * satisfied / n)
    assert (round(row["ci_low"], 1), round(row["ci_high"], 1)) == (low, high)
    assert (row["numerator"], row["denominator"], row["n"]) == (satisfied, n, n)


def test_csat_boundaries_blanks_and_out_of_scale_answers(kpi_values: Values) -> None:
    row = totals(kpi_values(CSAT, {"feedback": answers("csat", "2026-01", [3, 4, 5, None, 6, 0])})).iloc[0]
    assert (row["n"], row["positive"], row["invalid"]) == (3, 2, 3)  # 3 is not satisfied, 4 is
    assert row["value"] == pytest.approx(200 / 3)


def test_csat_change_uses_a_two_proportion_z_test(kpi_values: Values) -> None:
    rows = answers("csat", "2026-01", [5] * 60 + [1] * 40) + answers("csat", "2026-02", [5] * 75 + [1] * 25)
    february = totals(kpi_values(CSAT, {"feedback": rows})).iloc[1]
    pooled = (60 + 75) / 200
    z = (0.75 - 0.60) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert february["change"] == pytest.approx(15.0)
    assert february["change_p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert bool(february["change_significant"]) is True


def test_a_condition_can_define_success(kpi_values: Values) -> None:
    kpi = {**CSAT, "score": None, "scale": None, "success": None}
    kpi = {k: v for k, v in kpi.items() if v is not None}
    kpi |= {"success_when": "ces >= 5", "valid_when": "ces IS NOT NULL"}
    row = totals(kpi_values(kpi, {"feedback": answers("ces", "2026-01", [7, 5, 4, 1, None])})).iloc[0]
    assert (row["n"], row["positive"], row["value"]) == (4, 2, 50.0)


def test_a_period_without_valid_answers_has_no_value(kpi_values: Values) -> None:
    rows = answers("csat", "2026-01", [5]) + answers("csat", "2026-02", [None, 9])
    february = totals(kpi_values(CSAT, {"feedback": rows})).iloc[1]
    assert february["n"] == 0 and pd.isna(february["value"]) and february["status"] == "no data"


def test_ces_worked_example_is_4_08(kpi_values: Values) -> None:
    counts = [80, 210, 140, 110, 160, 180, 120]
    scores = [score for score, count in enumerate(counts, start=1) for _ in range(count)]
    row = totals(kpi_values(CES, {"feedback": answers("ces", "2026-01", scores)})).iloc[0]
    assert row["n"] == 1000
    assert round(row["value"], 2) == 4.08
    half = stats.t.ppf(0.975, 999) * statistics.stdev(scores) / math.sqrt(1000)
    assert row["ci_low"] == pytest.approx(statistics.mean(scores) - half)
    assert row["ci_high"] == pytest.approx(statistics.mean(scores) + half)


def test_ces_change_matches_welchs_t_test_on_the_raw_answers(kpi_values: Values) -> None:
    january, february = [1, 2, 2, 3, 4, 4, 5, 7], [3, 4, 5, 5, 6, 6, 7, 7, 7, 6]
    rows = answers("ces", "2026-01", list(january)) + answers("ces", "2026-02", list(february))
    row = totals(kpi_values(CES, {"feedback": rows})).iloc[1]
    expected = stats.ttest_ind(february, january, equal_var=False).pvalue
    assert row["change_p_value"] == pytest.approx(expected)
    assert row["change"] == pytest.approx(statistics.mean(february) - statistics.mean(january))


def test_ces_single_answer_has_a_value_but_no_interval(kpi_values: Values) -> None:
    row = totals(kpi_values(CES, {"feedback": answers("ces", "2026-01", [6])})).iloc[0]
    assert row["value"] == 6.0 and pd.isna(row["ci_low"])


def test_mean_roll_up_pools_answers(kpi_values: Values) -> None:
    rows = [{"responded_at": "2026-01-10 12:00:00+00", "ces": 7, "region": "EMEA"}]
    rows += [{"responded_at": "2026-01-10 12:00:00+00", "ces": 1, "region": "APAC"} for _ in range(3)]
    values = kpi_values({**CES, "dimensions": ["region"]}, {"feedback": rows})
    by_region = values[values["dimension"] == "region"].set_index("dimension_value")["value"]
    assert (by_region["EMEA"], by_region["APAC"]) == (7.0, 1.0)
    assert totals(values).iloc[0]["value"] == pytest.approx(10 / 4)  # not (7 + 1) / 2
