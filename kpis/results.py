"""Read computed KPIs back: the queries behind the dashboard and the CLI, with bound parameters.

Everything here reads the `kpi` and `meta` tables only, never raw rows, so a page view costs
the same whatever the size of the data.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.frames import frame
from kpis.compile import TOTAL_DIMENSION, TOTAL_VALUE


def catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per KPI, in the order of their display names."""
    return frame(con, "SELECT * FROM kpi.catalog ORDER BY display_name")


def series(
    con: duckdb.DuckDBPyConnection,
    kpi: str,
    grain: str,
    dimension: str = TOTAL_DIMENSION,
    dimension_value: str = TOTAL_VALUE,
) -> pd.DataFrame:
    """A KPI's values over time at one grain, for the total or one dimension value."""
    return frame(
        con,
        """
        SELECT period_start, period_end, value, ci_low, ci_high, n, positive, neutral, negative,
               invalid, target, status, low_sample, previous_value, change, change_p_value,
               change_significant
        FROM kpi.kpi_values
        WHERE kpi = ? AND grain = ? AND dimension = ? AND dimension_value = ?
        ORDER BY period_start
        """,
        [kpi, grain, dimension, dimension_value],
    )


def last_refresh(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The most recent refresh: when it finished and whether everything in it succeeded."""
    latest = frame(
        con,
        "SELECT refresh_id, finished_at, status, sources_failed, kpis_failed "
        "FROM meta.refreshes ORDER BY refresh_id DESC LIMIT 1",
    )
    return None if latest.empty else {str(key): value for key, value in latest.iloc[0].items()}
