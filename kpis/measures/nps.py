"""Net Promoter Score (and eNPS): promoters minus detractors, as a share of valid answers, x 100."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier
from kpis import stats
from kpis.measures.base import Measure, between, column, count_where
from kpis.spec import Band, DisplayFormat, KpiBase, SingleTableKpi, check_band

SCORE = "_score"


class NpsSpec(SingleTableKpi):
    """`type: nps`: 100 x (promoters - detractors) / valid answers."""

    type: Literal["nps"]
    score: Identifier = Field(description="Column holding the 0-10 answer.")
    promoters: Band = Field(default=(9, 10), description="Inclusive band of promoters.")
    detractors: Band = Field(default=(0, 6), description="Inclusive band of detractors.")
    scale: Band = Field(default=(0, 10), description="Valid answers; others are invalid.")
    format: DisplayFormat = DisplayFormat(decimals=0)

    @model_validator(mode="after")
    def _bands_fit_the_scale(self) -> NpsSpec:
        check_band("promoters", self.promoters, self.scale)
        check_band("detractors", self.detractors, self.scale)
        if not self.detractors[1] < self.promoters[0]:
            raise ValueError("detractors must all score below promoters")
        return self


class NpsMeasure(Measure):
    scale = 100.0
    statistic = "nps"

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, NpsSpec)
        return {SCORE: column(spec.score)}

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, NpsSpec)
        score = exp.column(SCORE)
        return {
            "n": count_where(between(score, *spec.scale)),
            "positive": count_where(between(score.copy(), *spec.promoters)),
            "negative": count_where(between(score.copy(), *spec.detractors)),
            "rows": exp.Count(this=exp.Star()),
        }

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        n = counts["n"].to_numpy(dtype=float)
        promoters = counts["positive"].to_numpy(dtype=float)
        detractors = counts["negative"].to_numpy(dtype=float)
        value, variance = stats.nps(promoters, detractors, n)
        low, high = stats.wald_interval(value, variance, n, self.scale, (-100.0, 100.0))
        return counts.assign(
            neutral=counts["n"] - counts["positive"] - counts["negative"],
            invalid=counts["rows"] - counts["n"],
            value=value,
            variance=variance,
            ci_low=low,
            ci_high=high,
            numerator=promoters - detractors,
            denominator=n,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, NpsSpec)
        (p0, p1), (d0, d1), (s0, s1) = spec.promoters, spec.detractors, spec.scale
        return (
            f"NPS = 100 x (promoters - detractors) / valid answers. Promoters answer {p0}-{p1}, "
            f"passives {d1 + 1}-{p0 - 1}, detractors {d0}-{d1}; valid answers are whole numbers {s0}-{s1}; blanks "
            "and other values are excluded and counted as invalid. 95% interval: Wald, on the +1/0/-1 coding; "
            "a change is significant when a two-sample z-test gives p < 0.05. Roll-ups pool the answers."
        )
