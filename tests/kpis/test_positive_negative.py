"""Positive and negative experiences from surveys and reviews together, counted by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from tests.kpis.test_proportion_and_mean import totals

Values = Callable[..., pd.DataFrame]

BALANCE: dict[str, Any] = {
    "name": "balance",
    "display_name": "Positive experiences",
    "type": "positive_negative",
    "description": "test",
    "sources": [
        {
            "label": "Surveys",
            "table": "feedback",
            "time_column": "responded_at",
            "positive": "csat >= 4",
            "negative": "csat <= 2",
        },
        {
            "label": "Reviews",
            "table": "reviews",
            "time_column": "published_at",
            "positive": "sentiment = 'positive'",
            "negative": "sentiment = 'negative'",
            "dimensions": {"channel": "platform"},
        },
    ],
    "dimensions": ["channel"],
}


def tables(csat: list[int | None], sentiments: list[str], month: str = "2026-03") -> dict[str, list[dict[str, Any]]]:
    feedback = [{"responded_at": f"{month}-02 09:00:00+00", "csat": c, "channel": "Phone"} for c in csat]
    reviews = [{"published_at": f"{month}-03 09:00:00+00", "sentiment": s, "platform": "App Store"} for s in sentiments]
    return {"feedback": feedback, "reviews": reviews}


def test_counts_pool_both_sources_and_the_share_is_positive_over_all_counted(kpi_values: Values) -> None:
    row = totals(kpi_values(BALANCE, tables([5, 4, 3, 2, 1, None], ["positive", "neutral", "negative"]))).iloc[0]
    # Surveys: 2 positive, 1 neutral (3), 2 negative, 1 blank not counted. Reviews: 1 / 1 / 1.
    assert (row["positive"], row["neutral"], row["negative"], row["n"], row["invalid"]) == (3, 2, 3, 8, 1)
    assert row["value"] == pytest.approx(100 * 3 / 8)
    details = json.loads(row["details"])
    assert details["ratio"] == pytest.approx(1.0)
    assert details["by_source"] == {
        "Surveys": {"positive": 2, "neutral": 1, "negative": 2},
        "Reviews": {"positive": 1, "neutral": 1, "negative": 1},
    }


def test_the_ratio_without_negative_experiences_is_no_value_not_infinity(kpi_values: Values) -> None:
    row = totals(kpi_values({**BALANCE, "statistic": "ratio"}, tables([5, 5], ["positive"]))).iloc[0]
    assert pd.isna(row["value"])
    assert row["positive"] == 3 and row["negative"] == 0


def test_the_ratio_statistic(kpi_values: Values) -> None:
    row = totals(kpi_values({**BALANCE, "statistic": "ratio"}, tables([5, 5, 1], ["positive", "negative"]))).iloc[0]
    assert row["value"] == pytest.approx(3 / 2)


def test_each_source_maps_its_own_column_to_a_dimension(kpi_values: Values) -> None:
    values = kpi_values(BALANCE, tables([5, 1], ["positive", "positive"]))
    channels = values[values["dimension"] == "channel"].set_index("dimension_value")
    assert channels.loc["Phone", "positive"] == 1 and channels.loc["Phone", "negative"] == 1
    assert channels.loc["App Store", "positive"] == 2


def test_an_empty_period_has_no_value(kpi_values: Values) -> None:
    data = tables([5], [])
    data["reviews"] = [{"published_at": "2026-04-03 09:00:00+00", "sentiment": None, "platform": "App Store"}]
    april = totals(kpi_values(BALANCE, data)).iloc[1]
    assert april["n"] == 0 and pd.isna(april["value"])
