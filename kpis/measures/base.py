"""The contract of a KPI type: which rows it reads, what it aggregates, how it scores.

SQL does the heavy part (aggregating millions of rows into sufficient statistics per period and
dimension value, in one scan); Python turns those few rows into values, intervals and tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sqlglot import exp

from kpis import stats
from kpis.fragments import parse_condition
from kpis.spec import KpiBase, SingleTableKpi

# Columns every measure's statistics fill in (others it may add: positive, neutral, negative, details).
RESULT_COLUMNS = ("value", "ci_low", "ci_high", "numerator", "denominator", "variance")

ChangeTest = Literal["z", "two_proportion", "welch", "none"]


@dataclass(frozen=True)
class RowSource:
    """One table feeding a KPI: which rows, placed in which period, carrying which values.

    `time` is the event time that places a row in a period (a column, or e.g. a deadline computed
    from one); `time_column` is the column whose type says how to read it. `columns` are the
    row-level values the aggregates use, by alias; `dimensions` the breakdown values by name.
    """

    table: str
    time_column: str
    columns: dict[str, exp.Expr]
    dimensions: dict[str, exp.Expr]
    time: exp.Expr | None = None
    conditions: tuple[exp.Expr, ...] = field(default=())

    @property
    def event_time(self) -> exp.Expr:
        return self.time if self.time is not None else exp.column(self.time_column, quoted=True)


def column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def count_where(condition: exp.Expr) -> exp.Expr:
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))


def between(value: exp.Expr, low: float, high: float) -> exp.Expr:
    return exp.Between(this=value, low=exp.Literal.number(low), high=exp.Literal.number(high))


def nan_array(length: int) -> stats.Floats:
    return np.full(length, np.nan)


class Measure(ABC):
    """How one KPI type turns rows into a value."""

    #: The scale changes are tested on (100 for NPS and percentages, 1 for means).
    scale: float = 1.0
    #: Whether the aggregates are sums, so a trailing window can add up daily aggregates.
    additive: bool = True
    #: Whether a period's aggregates depend only on the rows of that period (or its trailing
    #: window), so that new rows leave earlier periods as they are (see kpis.state).
    period_local: bool = True
    #: Which test says whether a change from the previous period is statistically significant.
    change_test: ChangeTest = "z"
    #: What the value is, for the catalog.
    statistic: str = "value"

    def statistic_of(self, spec: KpiBase) -> str:
        return self.statistic

    def change_test_of(self, spec: KpiBase) -> ChangeTest:
        return self.change_test

    def sources(self, spec: KpiBase) -> list[RowSource]:
        """The tables the KPI reads; by default its one table, with its filter."""
        assert isinstance(spec, SingleTableKpi)
        conditions = (exp.Paren(this=parse_condition(spec.filter)),) if spec.filter else ()
        return [
            RowSource(
                table=spec.table,
                time_column=spec.time_column,
                columns=self.row_columns(spec),
                dimensions={d: column(d) for d in spec.dimensions},
                conditions=conditions,
            )
        ]

    def row_columns(self, spec: KpiBase) -> dict[str, exp.Expr]:
        """Row-level values the aggregates use, by alias (for single-table KPIs)."""
        raise NotImplementedError

    @abstractmethod
    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        """Named aggregates over the row aliases. Must include `n`; names starting '_' stay in SQL."""

    def finish(self, spec: KpiBase) -> dict[str, exp.Expr]:
        """Columns computed in SQL from the aggregates (e.g. order statistics from a sorted list)."""
        return {}

    @abstractmethod
    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        """Add RESULT_COLUMNS (and optionally positive/neutral/negative/invalid/details) to `counts`."""

    @abstractmethod
    def formula(self, spec: KpiBase) -> str:
        """The formula and the policies in plain words, for the glossary."""

    def unit(self, spec: KpiBase) -> str:
        return spec.format.unit
