"""Trailing windows, red/amber/green thresholds, owners per dimension value, custom KPIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from core.errors import KpiDefinitionError
from tests.kpis.test_proportion_and_mean import CES, CSAT, answers, totals

Values = Callable[..., pd.DataFrame]


def test_a_trailing_window_pools_the_days_before_each_period_end(kpi_values: Values) -> None:
    rows = [{"responded_at": "2026-01-10 12:00:00+00", "csat": 5}] * 4
    rows += [{"responded_at": "2026-02-10 12:00:00+00", "csat": 1}] * 4
    rows += [{"responded_at": "2026-03-25 12:00:00+00", "csat": 5}] * 2
    values = totals(kpi_values({**CSAT, "window_days": 45}, {"feedback": rows}))
    by_month = dict(zip(values["period_start"].dt.strftime("%Y-%m"), values["value"], strict=True))
    # 45 days ending 31 Jan: January only. Ending 28 Feb: from 15 Jan, so February only.
    # Ending 31 Mar: from 15 Feb, so only the March answers.
    assert by_month == {"2026-01": 100.0, "2026-02": 0.0, "2026-03": 100.0}
    wide = totals(kpi_values({**CSAT, "window_days": 60}, {"feedback": rows}))
    assert wide.iloc[1]["value"] == pytest.approx(50.0) and wide.iloc[1]["n"] == 8  # ending 28 Feb: from 30 Dec


def test_a_window_on_a_percentile_kpi_is_refused(kpi_values: Values) -> None:
    kpi = {
        "name": "loop",
        "display_name": "Loop",
        "type": "loop_closure",
        "description": "t",
        "table": "cases",
        "start": "opened_at",
        "end": "closed_at",
        "direction": "lower_is_better",
        "window_days": 30,
    }
    cases = [{"opened_at": "2026-01-01 00:00:00+00", "closed_at": "2026-01-02 00:00:00+00"}]
    with pytest.raises(KpiDefinitionError, match="trailing window cannot be used"):
        kpi_values(kpi, {"cases": cases})


@pytest.mark.parametrize(
    ("score", "expected"), [(500, "on target"), (485, "at risk"), (470, "off target")], ids=["met", "amber", "red"]
)
def test_amber_within_a_percentage_of_the_target(kpi_values: Values, score: int, expected: str) -> None:
    # Target 500, amber within 4 % of it: down to 480.
    kpi = {**CES, "scale": [0, 1000], "targets": [{"from": "2026-01-01", "value": 500}]}
    kpi["status"] = {"amber_within_percent": 4}
    row = totals(kpi_values(kpi, {"feedback": answers("ces", "2026-01", [score])})).iloc[0]
    assert row["status"] == expected


def test_ratio_and_expression_kpis(kpi_values: Values) -> None:
    rows = [
        {"responded_at": "2026-01-10 12:00:00+00", "csat": c, "ces": e} for c, e in [(5, 7), (4, 2), (1, 3), (2, 4)]
    ]
    base: dict[str, Any] = {"display_name": "x", "description": "t", "table": "feedback", "time_column": "responded_at"}
    ratio = {**base, "name": "happy", "type": "ratio", "multiplier": 100, "interval": "wilson"}
    ratio |= {"numerator": "count(*) FILTER (WHERE csat >= 4)", "denominator": "count(*)"}
    row = totals(kpi_values(ratio, {"feedback": rows})).iloc[0]
    assert row["value"] == pytest.approx(50.0) and row["numerator"] == 2 and row["denominator"] == 4
    assert row["ci_low"] < 50 < row["ci_high"]
    expression = {**base, "name": "avg_ces", "type": "expression", "expression": "avg(ces)"}
    assert totals(kpi_values(expression, {"feedback": rows})).iloc[0]["value"] == pytest.approx(4.0)
