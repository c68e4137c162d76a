"""Net Promoter Score: promoters minus detractors, as a share of valid answers, times 100."""

from __future__ import annotations

import pandas as pd
from sqlglot import exp

from kpis import stats
from kpis.measures.base import Measure
from kpis.spec import KpiBase, NpsSpec

SCORE = "_score"


def _count_between(low: int, high: int) -> exp.Expr:
    band = exp.Between(this=exp.column(SCORE), low=exp.Literal.number(low), high=exp.Literal.number(high))
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=band))


class NpsMeasure(Measure):
    scale = 100.0

    def columns(self, spec: KpiBase) -> dict[str, str]:
        assert isinstance(spec, NpsSpec)
        return {SCORE: spec.score}

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, NpsSpec)
        return {
            "n": _count_between(*spec.scale),
            "positive": _count_between(*spec.promoters),
            "negative": _count_between(*spec.detractors),
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
            f"detractors {d0}-{d1}; valid answers are whole numbers {s0}-{s1}; blanks and other "
            "values are excluded and counted as invalid. 95% interval: Wald, on the +1/0/-1 coding."
        )
