"""Proportions: CSAT % (top-2-box), % favourable, % easy: answers in a band over valid answers."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier
from kpis import stats
from kpis.fragments import parse_condition
from kpis.measures.base import Measure, between, column, count_where
from kpis.spec import Band, DisplayFormat, KpiBase, SingleTableKpi, SqlCondition, check_band

SCORE = "_score"
HIT = "_hit"


class ProportionSpec(SingleTableKpi):
    """`type: proportion`: the share of valid answers in the `success` band (or meeting `success_when`)."""

    type: Literal["proportion"]
    score: Identifier | None = Field(default=None, description="Column holding the answer.")
    scale: Band | None = Field(default=None, description="Valid answers, e.g. [1, 5].")
    success: Band | None = Field(default=None, description="Answers counted as a success, e.g. [4, 5].")
    success_when: SqlCondition | None = Field(default=None, description="SQL condition for a success, not a band.")
    valid_when: SqlCondition | None = Field(default=None, description="SQL condition for a valid row.")
    format: DisplayFormat = DisplayFormat(decimals=1, unit="%")

    @model_validator(mode="after")
    def _one_rule(self) -> ProportionSpec:
        banded = self.score is not None and self.scale is not None and self.success is not None
        if banded == (self.success_when is not None):
            raise ValueError("give either score, scale and success (a band), or success_when (a condition)")
        if self.scale is not None and self.success is not None:
            check_band("success", self.success, self.scale)
        if self.valid_when is not None and self.success_when is None:
            raise ValueError("valid_when goes with success_when")
        return self


class ProportionMeasure(Measure):
    scale = 100.0
    change_test = "two_proportion"
    statistic = "share"

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, ProportionSpec)
        if spec.score is not None and spec.scale is not None and spec.success is not None:
            score = column(spec.score)
            return {SCORE: between(score, *spec.scale), HIT: between(score.copy(), *spec.success)}
        assert spec.success_when is not None
        valid = parse_condition(spec.valid_when) if spec.valid_when else exp.true()
        return {SCORE: exp.Paren(this=valid), HIT: exp.Paren(this=parse_condition(spec.success_when))}

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        valid = exp.column(SCORE)
        return {
            "n": count_where(valid),
            "positive": count_where(exp.and_(valid.copy(), exp.column(HIT))),
            "rows": exp.Count(this=exp.Star()),
        }

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        n = counts["n"].to_numpy(dtype=float)
        hits = counts["positive"].to_numpy(dtype=float)
        low, high = stats.wilson_interval(hits, n)
        share = stats.share(hits, n)
        return counts.assign(
            negative=counts["n"] - counts["positive"],
            invalid=counts["rows"] - counts["n"],
            value=100.0 * share,
            variance=share * (1 - share),
            ci_low=100.0 * low,
            ci_high=100.0 * high,
            numerator=hits,
            denominator=n,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, ProportionSpec)
        if spec.success is not None and spec.scale is not None:
            rule = (
                f"100 x answers {spec.success[0]}-{spec.success[1]} / valid answers ({spec.score} "
                f"{spec.scale[0]}-{spec.scale[1]}; blanks and other values are excluded and counted as invalid)"
            )
        else:
            valid = spec.valid_when or "every row"
            rule = f"100 x rows where {spec.success_when} / valid rows ({valid})"
        return (
            f"{spec.display_name} = {rule}. 95% interval: Wilson score. A change is significant when a "
            "two-proportion z-test gives p < 0.05. Roll-ups pool the counts."
        )
