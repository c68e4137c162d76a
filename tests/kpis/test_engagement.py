"""Engagement index, favourability and the anonymity minimum, worked out by hand."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from tests.kpis.test_proportion_and_mean import totals

Values = Callable[..., pd.DataFrame]

ITEMS = ("pride", "tools", "growth")
ENGAGEMENT: dict[str, Any] = {
    "name": "engagement",
    "display_name": "Engagement",
    "type": "engagement",
    "description": "test",
    "table": "pulse",
    "time_column": "survey_at",
    "items": {item: item for item in ITEMS},
    "themes": {"Belonging": ["pride"], "Enablement": ["tools", "growth"]},
    "dimensions": ["team"],
    "anonymity_min": 3,
}


def answers(team: str, *scores: tuple[int | None, ...], month: str = "2026-01") -> list[dict[str, Any]]:
    return [{"survey_at": f"{month}-01 00:00:00+00", "team": team, **dict(zip(ITEMS, s, strict=True))} for s in scores]


RESPONSES = answers("A", (5, 5, 5), (1, 1, 1), (4, 2, 3), (5, 4, None), (9, 4, 4))


def test_rescaled_mean_index(kpi_values: Values) -> None:
    row = totals(kpi_values(ENGAGEMENT, {"pulse": RESPONSES})).iloc[0]
    # Each respondent's mean of valid answers, rescaled (mean - 1) / 4 x 100; 9 is out of scale.
    per_person = [(5 - 1) / 4 * 100, 0.0, (3 - 1) / 4 * 100, (4.5 - 1) / 4 * 100, (4 - 1) / 4 * 100]
    assert row["n"] == 5
    assert row["value"] == pytest.approx(statistics.mean(per_person))


def test_item_and_theme_favourability(kpi_values: Values) -> None:
    details = json.loads(totals(kpi_values(ENGAGEMENT, {"pulse": RESPONSES})).iloc[0]["details"])
    pride, tools, growth = 100 * 3 / 4, 100 * 3 / 5, 100 * 2 / 4
    assert details["items"] == pytest.approx({"pride": pride, "tools": tools, "growth": growth})
    assert details["themes"] == pytest.approx({"Belonging": pride, "Enablement": (tools + growth) / 2})


def test_all_items_favourable_index(kpi_values: Values) -> None:
    row = totals(kpi_values({**ENGAGEMENT, "index": "all_items_favourable"}, {"pulse": RESPONSES})).iloc[0]
    # Complete answers: (5,5,5) yes, (1,1,1) no, (4,2,3) no; the other two miss a valid item.
    assert (row["numerator"], row["denominator"]) == (1, 3)
    assert row["value"] == pytest.approx(100 / 3)


def test_groups_under_the_anonymity_minimum_show_no_score_and_cannot_be_worked_out(kpi_values: Values) -> None:
    pulse = answers("A", *[(5, 5, 5)] * 6) + answers("B", (1, 1, 1), (2, 2, 2)) + answers("C", *[(3, 3, 3)] * 4)
    values = kpi_values(ENGAGEMENT, {"pulse": pulse})
    teams = {row["dimension_value"]: row for row in values[values["dimension"] == "team"].to_dict("records")}
    b, c, a = teams["B"], teams["C"], teams["A"]
    assert b["suppressed"] and b["n"] == 2
    assert all(b[column] is None or math.isnan(b[column]) for column in ("value", "ci_low", "positive", "details"))
    # Total minus A would reveal B, so the next smallest group (C) is hidden too.
    assert c["suppressed"] and math.isnan(c["value"])
    assert not a["suppressed"] and a["value"] == 100.0
    assert totals(values).iloc[0]["value"] == pytest.approx(statistics.mean([100.0] * 6 + [0, 25] + [50.0] * 4))


def test_no_suppression_when_every_group_is_large_enough(kpi_values: Values) -> None:
    pulse = answers("A", *[(5, 5, 5)] * 3) + answers("B", *[(1, 1, 1)] * 3)
    values = kpi_values(ENGAGEMENT, {"pulse": pulse})
    assert not values["suppressed"].any()
