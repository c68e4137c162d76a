"""Custom KPIs from SQL aggregates: a ratio of two sums, or one aggregate expression."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator
from sqlglot import exp

from kpis import stats
from kpis.fragments import FragmentError, parse_aggregate
from kpis.measures.base import Measure, nan_array
from kpis.spec import KpiBase, SingleTableKpi


class RatioSpec(SingleTableKpi):
    """`type: ratio`: multiplier x numerator / denominator, each an aggregate such as count(*) or sum(x)."""

    type: Literal["ratio"]
    numerator: str = Field(description="Aggregate expression, e.g. count(*) FILTER (WHERE reopen_count > 0).")
    denominator: str = Field(description="Aggregate expression, e.g. count(*).")
    multiplier: float = Field(default=1.0, description="E.g. 100 for a percentage.")
    interval: Literal["none", "wilson"] = Field(
        default="none", description="wilson when the numerator counts a subset of the denominator's rows."
    )

    @field_validator("numerator", "denominator")
    @classmethod
    def _aggregate(cls, text: str) -> str:
        try:
            parse_aggregate(text)
        except FragmentError as err:
            raise ValueError(str(err)) from err
        return text


class ExpressionSpec(SingleTableKpi):
    """`type: expression`: any one SQL aggregate expression over the table's columns (no interval)."""

    type: Literal["expression"]
    expression: str = Field(description="Aggregate expression, e.g. avg(ces) or median(reopen_count).")

    @field_validator("expression")
    @classmethod
    def _aggregate(cls, text: str) -> str:
        try:
            parse_aggregate(text)
        except FragmentError as err:
            raise ValueError(str(err)) from err
        return text


class RatioMeasure(Measure):
    change_test = "none"
    statistic = "ratio"
    additive = False

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, RatioSpec)
        return _row_columns(spec, spec.numerator, spec.denominator)

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, RatioSpec)
        return {
            "n": exp.Count(this=exp.Star()),
            "numerator": parse_aggregate(spec.numerator),
            "denominator": parse_aggregate(spec.denominator),
        }

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        assert isinstance(spec, RatioSpec)
        numerator = counts["numerator"].to_numpy(dtype=float)
        denominator = counts["denominator"].to_numpy(dtype=float)
        value = spec.multiplier * stats.share(numerator, denominator)
        low, high = nan_array(len(counts)), nan_array(len(counts))
        if spec.interval == "wilson":
            low, high = (spec.multiplier * bound for bound in stats.wilson_interval(numerator, denominator))
        return counts.assign(
            value=value, variance=nan_array(len(counts)), ci_low=low, ci_high=high, denominator=denominator
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, RatioSpec)
        times = f"{spec.multiplier:g} x " if spec.multiplier != 1 else ""
        interval = "95% interval: Wilson score." if spec.interval == "wilson" else "No interval is computed."
        return (
            f"{spec.display_name} = {times}{spec.numerator} / {spec.denominator}, over the rows of {spec.table}"
            f"{' where ' + spec.filter if spec.filter else ''}. A zero denominator gives no value. {interval} "
            "No significance test for changes."
        )


class ExpressionMeasure(Measure):
    change_test = "none"
    statistic = "value"
    additive = False

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, ExpressionSpec)
        return _row_columns(spec, spec.expression)

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, ExpressionSpec)
        return {"n": exp.Count(this=exp.Star()), "_value": parse_aggregate(spec.expression)}

    def finish(self, spec: KpiBase) -> dict[str, exp.Expr]:
        return {"numerator": exp.cast(exp.column("_value"), "DOUBLE")}

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        empty = nan_array(len(counts))
        value = counts["numerator"].to_numpy(dtype=float)
        return counts.assign(value=value, variance=empty, ci_low=empty, ci_high=empty, denominator=empty)

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, ExpressionSpec)
        return (
            f"{spec.display_name} = {spec.expression}, over the rows of {spec.table}"
            f"{' where ' + spec.filter if spec.filter else ''}. No interval or significance test is computed."
        )


def _row_columns(spec: SingleTableKpi, *expressions: str) -> dict[str, exp.Expr]:
    """The table's columns the aggregate expressions use, passed through under their own names."""
    used = {c.name for text in expressions for c in parse_aggregate(text).find_all(exp.Column)}
    names = sorted(used - set(spec.dimensions))  # dimensions are in the rows under their own names already
    return {name: exp.column(name, quoted=True) for name in names}
