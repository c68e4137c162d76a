"""One measure per KPI `type:`: its spec (the YAML fields), the SQL aggregates and the statistics."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kpis.measures.base import Measure
from kpis.measures.engagement import EngagementMeasure, EngagementSpec
from kpis.measures.loop_closure import LoopClosureMeasure, LoopClosureSpec
from kpis.measures.mean import MeanMeasure, MeanSpec
from kpis.measures.nps import NpsMeasure, NpsSpec
from kpis.measures.positive_negative import PositiveNegativeMeasure, PositiveNegativeSpec
from kpis.measures.proportion import ProportionMeasure, ProportionSpec
from kpis.measures.ratio import ExpressionMeasure, ExpressionSpec, RatioMeasure, RatioSpec

KpiSpec = Annotated[
    NpsSpec
    | ProportionSpec
    | MeanSpec
    | PositiveNegativeSpec
    | LoopClosureSpec
    | EngagementSpec
    | RatioSpec
    | ExpressionSpec,
    Field(discriminator="type"),
]

MEASURES: dict[str, Measure] = {
    "nps": NpsMeasure(),
    "proportion": ProportionMeasure(),
    "mean": MeanMeasure(),
    "positive_negative": PositiveNegativeMeasure(),
    "loop_closure": LoopClosureMeasure(),
    "engagement": EngagementMeasure(),
    "ratio": RatioMeasure(),
    "expression": ExpressionMeasure(),
}


def measure_for(kpi_type: str) -> Measure:
    return MEASURES[kpi_type]
