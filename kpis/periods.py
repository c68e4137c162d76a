"""Calendar arithmetic on period starts, per grain."""

from __future__ import annotations

import pandas as pd

from kpis.spec import Grain

_STEP: dict[Grain, pd.DateOffset] = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def shift(starts: pd.Series, grain: Grain, periods: int) -> pd.Series:
    """Period starts moved by `periods` whole periods (negative for earlier)."""
    return pd.to_datetime(starts) + _STEP[grain] * periods
