"""The contract of a KPI type: which columns it reads, what it aggregates, how it scores."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pandas as pd
from sqlglot import exp

from kpis.spec import KpiBase

# Columns every measure's statistics must fill in, in the kpi_values table.
RESULT_COLUMNS = ("value", "ci_low", "ci_high", "numerator", "denominator", "variance")


class Measure(ABC):
    """How one KPI type turns rows into a value.

    SQL does the heavy part (aggregating millions of rows into sufficient statistics per period and
    dimension value); Python turns those few rows into values, intervals and significance.
    """

    #: The scale the value is expressed on, for intervals and change tests.
    scale: float = 1.0

    @abstractmethod
    def columns(self, spec: KpiBase) -> dict[str, str]:
        """Row-level columns needed from the table: alias -> column name."""

    @abstractmethod
    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        """Named aggregate expressions over the aliased row columns. Must include `n`."""

    @abstractmethod
    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        """Add RESULT_COLUMNS to the aggregated `counts` frame."""

    @abstractmethod
    def formula(self, spec: KpiBase) -> str:
        """The formula in plain words, for the glossary."""
