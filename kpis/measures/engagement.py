"""Employee engagement: item and theme favourability and an engagement index, with an anonymity minimum."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier
from kpis import stats
from kpis.measures.base import ChangeTest, Measure, between, column, count_where, nan_array
from kpis.spec import Band, DisplayFormat, KpiBase, SingleTableKpi, check_band

Index = Literal["rescaled_mean", "all_items_favourable", "mean_of_item_means"]
ANSWERED, ALL_FAVOURABLE, RESCALED = "_answered", "_all_favourable", "_rescaled"


class EngagementSpec(SingleTableKpi):
    """`type: engagement`: an engagement index over survey items, with item and theme favourability."""

    type: Literal["engagement"]
    items: dict[Identifier, str] = Field(min_length=1, description="Item column -> the question as asked.")
    themes: dict[str, tuple[Identifier, ...]] = Field(default_factory=dict, description="Theme -> its items.")
    scale: Band = (1, 5)
    favourable: Band = Field(default=(4, 5), description="Answers counted as favourable (top-2-box).")
    index: Index = "rescaled_mean"
    anonymity_min: int | None = Field(default=5, ge=2)
    min_n: int = 5
    format: DisplayFormat = DisplayFormat(decimals=0)

    @model_validator(mode="after")
    def _themes_use_items(self) -> EngagementSpec:
        check_band("favourable", self.favourable, self.scale)
        for theme, items in self.themes.items():
            unknown = sorted(set(items) - set(self.items))
            if unknown:
                raise ValueError(f"theme {theme!r} lists {unknown}, which are not among the items")
        return self


class EngagementMeasure(Measure):
    def statistic_of(self, spec: KpiBase) -> str:
        assert isinstance(spec, EngagementSpec)
        return spec.index

    def change_test_of(self, spec: KpiBase) -> ChangeTest:
        assert isinstance(spec, EngagementSpec)
        tests: dict[str, ChangeTest] = {
            "rescaled_mean": "welch",
            "all_items_favourable": "two_proportion",
            "mean_of_item_means": "none",
        }
        return tests[spec.index]

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, EngagementSpec)
        low, high = spec.scale
        valid = {
            item: exp.Case().when(between(column(item), low, high), exp.cast(column(item), "DOUBLE"))
            for item in spec.items
        }
        answered = _sum(
            exp.Case()
            .when(exp.Not(this=exp.Is(this=v.copy(), expression=exp.null())), exp.Literal.number(1))
            .else_(exp.Literal.number(0))
            for v in valid.values()
        )
        favourable_all = exp.and_(
            *(exp.Coalesce(this=between(v.copy(), *spec.favourable), expressions=[exp.false()]) for v in valid.values())
        )
        mean = exp.Div(
            this=_sum(exp.Coalesce(this=v.copy(), expressions=[exp.Literal.number(0)]) for v in valid.values()),
            expression=exp.func("nullif", answered.copy(), exp.Literal.number(0)),
        )
        rescaled = exp.Mul(
            this=exp.Div(
                this=exp.Paren(this=exp.Sub(this=mean, expression=exp.Literal.number(low))),
                expression=exp.Literal.number(high - low),
            ),
            expression=exp.Literal.number(100),
        )
        return {
            **{f"_item_{item}": expression for item, expression in valid.items()},
            ANSWERED: answered,
            ALL_FAVOURABLE: favourable_all,
            RESCALED: rescaled,
        }

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, EngagementSpec)
        answered = exp.column(ANSWERED)
        rescaled = exp.column(RESCALED)
        aggregates: dict[str, exp.Expr] = {
            "n": count_where(answered.__gt__(0)),
            "complete": count_where(answered.copy().eq(len(spec.items))),
            "all_favourable": count_where(exp.column(ALL_FAVOURABLE)),
            "rescaled_total": exp.Sum(this=rescaled),
            "rescaled_squares": exp.Sum(this=exp.Mul(this=rescaled.copy(), expression=rescaled.copy())),
            "rows": exp.Count(this=exp.Star()),
        }
        for item in spec.items:
            value = exp.column(f"_item_{item}")
            aggregates[f"item_n_{item}"] = exp.Count(this=value)
            aggregates[f"item_total_{item}"] = exp.Sum(this=value.copy())
            aggregates[f"item_favourable_{item}"] = count_where(between(value.copy(), *spec.favourable))
        return aggregates

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        assert isinstance(spec, EngagementSpec)
        n = counts["n"].to_numpy(dtype=float)
        item_favourable = {
            item: 100
            * stats.share(
                counts[f"item_favourable_{item}"].to_numpy(dtype=float), counts[f"item_n_{item}"].to_numpy(dtype=float)
            )
            for item in spec.items
        }
        empty = nan_array(len(counts))
        numerator, denominator = empty, n
        if spec.index == "rescaled_mean":
            total = counts["rescaled_total"].to_numpy(dtype=float)
            value = stats.share(total, n)
            variance = stats.sample_variance(total, counts["rescaled_squares"].to_numpy(dtype=float), n)
            low, high = stats.t_interval(value, variance, n)
            numerator = total
        elif spec.index == "all_items_favourable":
            favourable = counts["all_favourable"].to_numpy(dtype=float)
            complete = counts["complete"].to_numpy(dtype=float)
            share = stats.share(favourable, complete)
            value, variance = 100 * share, share * (1 - share)
            low, high = (100 * bound for bound in stats.wilson_interval(favourable, complete))
            numerator, denominator = favourable, complete
        else:
            means = [
                stats.share(
                    counts[f"item_total_{i}"].to_numpy(dtype=float), counts[f"item_n_{i}"].to_numpy(dtype=float)
                )
                for i in spec.items
            ]
            value, variance, low, high = np.mean(means, axis=0), empty, empty, empty
        details = [_details(spec, item_favourable, row) for row in range(len(counts))]
        working = [
            c
            for c in counts.columns
            if c.startswith("item_") or c.startswith("rescaled_") or c in ("complete", "all_favourable")
        ]
        return counts.drop(columns=working).assign(
            invalid=counts["rows"] - counts["n"],
            value=value,
            variance=variance,
            ci_low=low,
            ci_high=high,
            numerator=numerator,
            denominator=denominator,
            details=details,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, EngagementSpec)
        low, high = spec.scale
        f0, f1 = spec.favourable
        index = {
            "rescaled_mean": f"the mean over respondents of (their mean answer - {low}) / ({high} - {low}) x 100, "
            "with a t 95% interval and Welch's t-test for changes",
            "all_items_favourable": f"100 x respondents answering {f0}-{f1} on every item / respondents who answered "
            "every item, with a Wilson 95% interval and a two-proportion z-test for changes",
            "mean_of_item_means": "the mean of the items' mean answers (no interval)",
        }[spec.index]
        themes = "; ".join(f"{theme}: {', '.join(items)}" for theme, items in spec.themes.items())
        return (
            f"{spec.display_name} = {index}. Items: {', '.join(spec.items)} "
            f"(answers {low}-{high}; others are invalid). "
            f"Item favourability = 100 x answers {f0}-{f1} / valid answers; theme favourability = mean of its items' "
            f"favourability{' (' + themes + ')' if themes else ''}. Groups of fewer than {spec.anonymity_min} "
            "respondents show no score anywhere, to protect anonymity."
        )


def _sum(parts: object) -> exp.Expr:
    terms = list(parts)  # type: ignore[call-overload]
    total: exp.Expr = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _details(spec: EngagementSpec, favourable: dict[str, stats.Floats], row: int) -> str:
    items = {item: None if np.isnan(values[row]) else float(values[row]) for item, values in favourable.items()}
    themes = {}
    for theme, members in spec.themes.items():
        known = [value for m in members if (value := items[m]) is not None]
        themes[theme] = float(np.mean(known)) if known else None
    return json.dumps({"items": items, "themes": themes})
