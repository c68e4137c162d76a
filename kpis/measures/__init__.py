"""One measure per KPI `type:`: the SQL aggregates it needs and the statistics made from them."""

from __future__ import annotations

from kpis.measures.base import Measure
from kpis.measures.nps import NpsMeasure

MEASURES: dict[str, Measure] = {
    "nps": NpsMeasure(),
}


def measure_for(kpi_type: str) -> Measure:
    return MEASURES[kpi_type]
