"""Positive and negative experiences counted across sources (surveys, reviews), each with its own rule."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier, Spec
from kpis import stats
from kpis.fragments import parse_condition
from kpis.measures.base import ChangeTest, Measure, RowSource, column, count_where
from kpis.spec import DisplayFormat, KpiBase, SqlCondition

POSITIVE, NEGATIVE, VALID, SOURCE = "_positive", "_negative", "_valid", "_source"


class ExperienceSource(Spec):
    """One table of experiences and the rules that make a row positive or negative."""

    label: str = Field(description="Name of the source in breakdowns, e.g. 'Surveys'.")
    table: Identifier
    time_column: Identifier
    positive: SqlCondition = Field(description="SQL condition for a positive experience, e.g. csat >= 4.")
    negative: SqlCondition = Field(description="SQL condition for a negative experience, e.g. csat <= 2.")
    valid: SqlCondition | None = Field(default=None, description="SQL condition for a row that counts at all.")
    filter: SqlCondition | None = None
    dimensions: dict[Identifier, SqlCondition] = Field(
        default_factory=dict, description="Dimension -> SQL expression in this table, where the names differ."
    )

    def valid_condition(self) -> exp.Expr:
        """`valid`, or by default: every column the positive and negative rules read has a value."""
        if self.valid is not None:
            return parse_condition(self.valid)
        names = sorted(
            {c.name for text in (self.positive, self.negative) for c in parse_condition(text).find_all(exp.Column)}
        )
        checks = [exp.Not(this=exp.Is(this=column(name), expression=exp.null())) for name in names]
        return exp.and_(*checks) if checks else exp.true()


class PositiveNegativeSpec(KpiBase):
    """`type: positive_negative`: positive and negative experiences, their ratio and the share positive."""

    type: Literal["positive_negative"]
    sources: tuple[ExperienceSource, ...] = Field(min_length=1)
    statistic: Literal["share_positive", "ratio"] = "share_positive"
    format: DisplayFormat = DisplayFormat(decimals=1, unit="%")

    @model_validator(mode="after")
    def _labels_unique(self) -> PositiveNegativeSpec:
        labels = [source.label for source in self.sources]
        if len(set(labels)) != len(labels):
            raise ValueError("each source needs its own label")
        return self


def _is_true(condition: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=exp.Paren(this=condition), expressions=[exp.false()])


class PositiveNegativeMeasure(Measure):
    scale = 100.0

    def statistic_of(self, spec: KpiBase) -> str:
        assert isinstance(spec, PositiveNegativeSpec)
        return spec.statistic

    def change_test_of(self, spec: KpiBase) -> ChangeTest:
        assert isinstance(spec, PositiveNegativeSpec)
        return "two_proportion" if spec.statistic == "share_positive" else "none"

    def sources(self, spec: KpiBase) -> list[RowSource]:
        assert isinstance(spec, PositiveNegativeSpec)
        rows = []
        for index, source in enumerate(spec.sources):
            conditions = (exp.Paren(this=parse_condition(source.filter)),) if source.filter else ()
            dimensions: dict[str, exp.Expr] = {
                d: exp.Paren(this=parse_condition(source.dimensions[d])) if d in source.dimensions else column(d)
                for d in spec.dimensions
            }
            rows.append(
                RowSource(
                    table=source.table,
                    time_column=source.time_column,
                    dimensions=dimensions,
                    conditions=conditions,
                    columns={
                        SOURCE: exp.Literal.number(index),
                        VALID: _is_true(source.valid_condition()),
                        POSITIVE: _is_true(parse_condition(source.positive)),
                        NEGATIVE: _is_true(parse_condition(source.negative)),
                    },
                )
            )
        return rows

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, PositiveNegativeSpec)
        valid, positive, negative = exp.column(VALID), exp.column(POSITIVE), exp.column(NEGATIVE)
        is_positive = exp.and_(valid, positive)
        is_negative = exp.and_(valid.copy(), negative, exp.Not(this=positive.copy()))
        aggregates = {
            "n": count_where(valid.copy()),
            "positive": count_where(is_positive),
            "negative": count_where(is_negative),
            "rows": exp.Count(this=exp.Star()),
        }
        for index in range(len(spec.sources)):
            mine = exp.column(SOURCE).eq(exp.Literal.number(index))
            aggregates[f"n_{index}"] = count_where(exp.and_(mine, valid.copy()))
            aggregates[f"positive_{index}"] = count_where(exp.and_(mine.copy(), is_positive.copy()))
            aggregates[f"negative_{index}"] = count_where(exp.and_(mine.copy(), is_negative.copy()))
        return aggregates

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        assert isinstance(spec, PositiveNegativeSpec)
        n = counts["n"].to_numpy(dtype=float)
        positive = counts["positive"].to_numpy(dtype=float)
        negative = counts["negative"].to_numpy(dtype=float)
        share = stats.share(positive, n)
        ratio = stats.share(positive, negative)
        low, high = stats.wilson_interval(positive, n)
        if spec.statistic == "share_positive":
            value, low, high, numerator, denominator = 100.0 * share, 100.0 * low, 100.0 * high, positive, n
        else:
            value, low, high, numerator, denominator = (
                ratio,
                np.full(len(n), np.nan),
                np.full(len(n), np.nan),
                positive,
                negative,
            )
        details = _details(spec, counts, share, ratio)
        per_source = [c for c in counts.columns if c.rsplit("_", 1)[-1].isdigit()]
        return counts.drop(columns=per_source).assign(
            neutral=counts["n"] - counts["positive"] - counts["negative"],
            invalid=counts["rows"] - counts["n"],
            value=value,
            variance=share * (1 - share),
            ci_low=low,
            ci_high=high,
            numerator=numerator,
            denominator=denominator,
            details=details,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, PositiveNegativeSpec)
        rules = "; ".join(
            f"{s.label} ({s.table}): positive when {s.positive}, negative when {s.negative}, "
            f"counted when {s.valid or 'the rules have values'}"
            for s in spec.sources
        )
        headline = (
            "share positive = 100 x positive / (positive + neutral + negative), with a Wilson 95% interval and a "
            "two-proportion z-test for changes"
            if spec.statistic == "share_positive"
            else "ratio = positive / negative (no value when there is no negative experience)"
        )
        return (
            f"{spec.display_name}: {headline}. {rules}. A row matching both rules counts as positive; the rest of "
            "the counted rows are neutral. Roll-ups pool the counts of all sources."
        )


def _details(spec: PositiveNegativeSpec, counts: pd.DataFrame, share: stats.Floats, ratio: stats.Floats) -> list[str]:
    kinds = ("n", "positive", "negative")
    columns = {(k, i): counts[f"{k}_{i}"].to_numpy(dtype=np.int64) for k in kinds for i in range(len(spec.sources))}
    details = []
    for row in range(len(counts)):
        by_source = {}
        for index, source in enumerate(spec.sources):
            n, positive, negative = (int(columns[(kind, index)][row]) for kind in kinds)
            by_source[source.label] = {"positive": positive, "neutral": n - positive - negative, "negative": negative}
        figures = {"share_positive": _number(100.0 * share[row]), "ratio": _number(ratio[row]), "by_source": by_source}
        details.append(json.dumps(figures))
    return details


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
