"""Means: CSAT mean, CES, an engagement item's mean. Valid answers only, with a t-interval."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier
from kpis import stats
from kpis.measures.base import Measure, between, column
from kpis.spec import Band, DisplayFormat, KpiBase, SingleTableKpi, check_band

SCORE = "_score"


class MeanSpec(SingleTableKpi):
    """`type: mean`: the mean of the valid answers in a score column."""

    type: Literal["mean"]
    score: Identifier = Field(description="Column holding the answer.")
    scale: Band = Field(description="Valid answers, e.g. [1, 7]; others are invalid.")
    format: DisplayFormat = DisplayFormat(decimals=2)

    @model_validator(mode="after")
    def _scale_in_order(self) -> MeanSpec:
        check_band("scale", self.scale, self.scale)
        return self


class MeanMeasure(Measure):
    change_test = "welch"
    statistic = "mean"

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, MeanSpec)
        score = column(spec.score)
        valid = exp.Case().when(between(score, *spec.scale), exp.cast(score.copy(), "DOUBLE"))
        return {SCORE: valid}

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        score = exp.column(SCORE)
        return {
            "n": exp.Count(this=score),
            "total": exp.Sum(this=score.copy()),
            "sum_of_squares": exp.Sum(this=exp.Mul(this=score.copy(), expression=score.copy())),
            "rows": exp.Count(this=exp.Star()),
        }

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        n = counts["n"].to_numpy(dtype=float)
        total = counts["total"].to_numpy(dtype=float)
        mean = stats.share(total, n)
        variance = stats.sample_variance(total, counts["sum_of_squares"].to_numpy(dtype=float), n)
        low, high = stats.t_interval(mean, variance, n)
        return counts.drop(columns=["total", "sum_of_squares"]).assign(
            invalid=counts["rows"] - counts["n"],
            value=mean,
            variance=variance,
            ci_low=low,
            ci_high=high,
            numerator=total,
            denominator=n,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, MeanSpec)
        low, high = spec.scale
        return (
            f"{spec.display_name} = mean of the valid answers ({spec.score}, whole numbers {low}-{high}; blanks and "
            "other values are excluded and counted as invalid). 95% interval: t with the sample standard deviation "
            "and n - 1 degrees of freedom. A change is significant when Welch's t-test gives p < 0.05. "
            "Roll-ups pool the answers (sums and counts), never average group means."
        )
