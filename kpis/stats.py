"""The statistics behind every KPI value, vectorised over the rows of an aggregated frame.

Formulas follow shared/KPI_MATH.md. They run on the few aggregated rows (one per KPI, grain,
period and dimension value), never on raw responses, so clarity beats cleverness here.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import numpy.typing as npt
from scipy import stats

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963...
SIGNIFICANCE_LEVEL = 0.05

Floats = npt.NDArray[np.float64]


def nps(promoters: Floats, detractors: Floats, n: Floats) -> tuple[Floats, Floats]:
    """NPS on the -100..100 scale, and the per-respondent variance of the +1/0/-1 coding.

    Both are NaN where n is 0: an empty period has no value, never 0.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, promoters / n, np.nan)
        d = np.where(n > 0, detractors / n, np.nan)
        # Multiply before dividing so that whole-number scores come out exact (200/10, not 100*0.2).
        value = np.where(n > 0, 100.0 * (promoters - detractors) / n, np.nan)
    return value, (p + d) - (p - d) ** 2


def wald_interval(
    value: Floats, variance: Floats, n: Floats, scale: float, bounds: tuple[float, float]
) -> tuple[Floats, Floats]:
    """value +/- 1.96 SE with SE = scale * sqrt(variance / n), clipped to `bounds`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = scale * np.sqrt(variance / n)
    low = np.clip(value - Z95 * se, *bounds)
    high = np.clip(value + Z95 * se, *bounds)
    return low, high


def two_sample_z(
    value: Floats,
    variance: Floats,
    n: Floats,
    previous_value: Floats,
    previous_variance: Floats,
    previous_n: Floats,
    scale: float,
) -> Floats:
    """Two-sided p-value of the change between two independent periods (NaN when undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = scale * np.sqrt(variance / n + previous_variance / previous_n)
        z = (value - previous_value) / se
    p = 2.0 * stats.norm.sf(np.abs(z))
    return np.where(np.isfinite(z), p, np.nan)
