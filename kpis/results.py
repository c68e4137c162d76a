"""Read computed KPIs back: the queries behind the dashboard, the report and the CLI.

Everything here reads the `kpi` and `meta` tables (and, for comments to read, a capped page of
responses), with bound parameters only, so a page view costs the same whatever the size of the
data. Every read takes the viewer's `Scope`: a person restricted to some values of a dimension
gets those rows and nothing that mixes in other people's data.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from core.access import EVERYTHING, Scope
from core.frames import frame
from kpis.compile import TOTAL_DIMENSION, TOTAL_VALUE

VALUE_COLUMNS = """
    kpi, grain, period_start, period_end, dimension, dimension_value, value, ci_low, ci_high, n, positive,
    neutral, negative, invalid, target, status, low_sample, previous_value, change, change_p_value,
    change_significant, suppressed, details
"""


def _slice(dimension: str, value: str, scope: Scope) -> tuple[str, str]:
    """A restricted viewer's 'total' is their own slice of the data."""
    if dimension == TOTAL_DIMENSION and scope.slice is not None:
        return scope.slice
    return dimension, value


def catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per KPI, customer KPIs first, then employee, then operations."""
    return frame(
        con,
        "SELECT * FROM kpi.catalog ORDER BY CASE category WHEN 'customer' THEN 0 WHEN 'employee' THEN 1 "
        "ELSE 2 END, display_name",
    )


def series(
    con: duckdb.DuckDBPyConnection,
    kpi: str,
    grain: str,
    dimension: str = TOTAL_DIMENSION,
    dimension_value: str = TOTAL_VALUE,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    """A KPI's values over time at one grain, for the total or one dimension value."""
    dimension, dimension_value = _slice(dimension, dimension_value, scope)
    visible, params = scope.kpi_rows()
    return frame(
        con,
        f"SELECT {VALUE_COLUMNS} FROM kpi.kpi_values WHERE kpi = ? AND grain = ? AND dimension = ? "
        f"AND dimension_value = ? AND {visible} ORDER BY period_start",
        [kpi, grain, dimension, dimension_value, *params],
    )


def values_at_grain(
    con: duckdb.DuckDBPyConnection,
    grain: str,
    dimension: str = TOTAL_DIMENSION,
    dimension_value: str = TOTAL_VALUE,
    scope: Scope = EVERYTHING,
) -> pd.DataFrame:
    """Every KPI's values over time at one grain for one slice: the scorecard and its sparklines."""
    dimension, dimension_value = _slice(dimension, dimension_value, scope)
    visible, params = scope.kpi_rows()
    return frame(
        con,
        f"SELECT {VALUE_COLUMNS} FROM kpi.kpi_values WHERE grain = ? AND dimension = ? AND dimension_value = ? "
        f"AND {visible} ORDER BY kpi, period_start",
        [grain, dimension, dimension_value, *params],
    )


def breakdown(
    con: duckdb.DuckDBPyConnection, kpi: str, grain: str, period_start: object, scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """A KPI in one period by every dimension value it is broken down by."""
    visible, params = scope.kpi_rows()
    return frame(
        con,
        f"SELECT {VALUE_COLUMNS} FROM kpi.kpi_values WHERE kpi = ? AND grain = ? AND period_start = ? "
        f"AND dimension <> 'total' AND {visible} ORDER BY dimension, value DESC NULLS LAST",
        [kpi, grain, period_start, *params],
    )


def dimension_by_period(
    con: duckdb.DuckDBPyConnection, kpis: list[str], grain: str, dimension: str, scope: Scope = EVERYTHING
) -> pd.DataFrame:
    """Several KPIs broken down by one dimension, every period: e.g. engagement and NPS by team."""
    visible, params = scope.kpi_rows()
    return frame(
        con,
        f"SELECT {VALUE_COLUMNS} FROM kpi.kpi_values WHERE list_contains(?, kpi) AND grain = ? AND dimension = ? "
        f"AND {visible} ORDER BY kpi, dimension_value, period_start",
        [kpis, grain, dimension, *params],
    )


def periods(con: duckdb.DuckDBPyConnection, grain: str) -> list[pd.Timestamp]:
    """The periods that have any KPI value at a grain, latest first."""
    found = frame(
        con,
        "SELECT DISTINCT period_start FROM kpi.kpi_values WHERE grain = ? AND value IS NOT NULL "
        "ORDER BY period_start DESC",
        [grain],
    )
    return [pd.Timestamp(p) for p in found["period_start"]]


def dimension_values(con: duckdb.DuckDBPyConnection, scope: Scope = EVERYTHING) -> pd.DataFrame:
    """Every (dimension, value) the KPIs are broken down by, for the breakdown filter."""
    visible, params = scope.kpi_rows()
    return frame(
        con,
        "SELECT dimension, dimension_value, count(DISTINCT kpi) AS kpis FROM kpi.kpi_values "
        f"WHERE dimension <> 'total' AND {visible} GROUP BY ALL ORDER BY dimension, dimension_value",
        params,
    )


def loop_backlog(con: duckdb.DuckDBPyConnection, kpi: str, dimension: str, scope: Scope = EVERYTHING) -> pd.DataFrame:
    """Open cases by age bucket, for the total or by one dimension."""
    dimension, _ = _slice(dimension, TOTAL_VALUE, scope)
    visible, params = scope.kpi_rows()
    return frame(
        con,
        "SELECT as_of, dimension, dimension_value, age_bucket, bucket_order, open_cases, overdue_cases "
        f"FROM kpi.loop_backlog WHERE kpi = ? AND dimension = ? AND {visible} "
        "ORDER BY dimension_value, bucket_order",
        [kpi, dimension, *params],
    )


def wins(
    con: duckdb.DuckDBPyConnection,
    since: object,
    until: object,
    limit: int,
    scope: Scope = EVERYTHING,
    where: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Praise and recovered customers in a time range, newest first, at most `limit` of each.

    `where` keeps one slice, e.g. ("region", "EMEA"), matched against the response's filters.
    """
    visible, params = _wins_scope(scope)
    sliced, slice_params = ("filters[?] = ?", list(where)) if where else ("TRUE", [])
    return frame(
        con,
        f"SELECT * FROM kpi.wins WHERE happened_at >= ? AND happened_at < ? AND {visible} AND {sliced} "
        "QUALIFY row_number() OVER (PARTITION BY kind ORDER BY happened_at DESC) <= ? ORDER BY happened_at DESC",
        [since, until, *params, *slice_params, limit],
    )


def _wins_scope(scope: Scope) -> tuple[str, list[object]]:
    if scope.unrestricted:
        return "TRUE", []
    ((dimension, values),) = scope.rows.items()
    return "list_contains(?, filters[?])", [sorted(values), dimension]


def comments(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str,
    time_column: str,
    score: str,
    comment: str,
    since: object,
    until: object,
    scores: tuple[int, int],
    where: dict[str, str],
    limit: int,
    offset: int = 0,
    scope: Scope = EVERYTHING,
) -> tuple[pd.DataFrame, int]:
    """One page of comments in a time range and score range, filtered by column values; and the total.

    Table and column names come from config.yaml (validated identifiers); values are bound.
    """
    columns = set(frame(con, f'SELECT * FROM raw."{table}" LIMIT 0').columns)
    visible, params = scope.raw_rows(columns)
    conditions = [
        f'"{time_column}" >= ?',
        f'"{time_column}" < ?',
        f'"{score}" BETWEEN ? AND ?',
        f"length(trim(coalesce(\"{comment}\", ''))) > 0",
        visible,
    ]
    values: list[object] = [since, until, scores[0], scores[1], *params]
    for column, value in where.items():
        if column in columns:
            conditions.append(f'CAST("{column}" AS VARCHAR) = ?')
            values.append(value)
    condition = " AND ".join(conditions)
    total = frame(con, f'SELECT count(*) AS n FROM raw."{table}" WHERE {condition}', values)["n"].iloc[0]
    page = frame(
        con,
        f'SELECT * EXCLUDE (_source, _file, _load_id) FROM raw."{table}" WHERE {condition} '
        f'ORDER BY "{time_column}" DESC LIMIT ? OFFSET ?',
        [*values, limit, offset],
    )
    return page, int(total)


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest load of every source, with its row accounting and when new rows last arrived."""
    return frame(
        con,
        "SELECT source, source_type, target_table, status, rows_read, rows_loaded, rows_rejected, finished_at, "
        "max(finished_at) FILTER (WHERE rows_loaded > 0) OVER (PARTITION BY source) AS last_arrival, error "
        "FROM meta.loads QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1 "
        "ORDER BY source",
    )


def load_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    return frame(
        con,
        "SELECT refresh_id, source, status, rows_read, rows_loaded, rows_rejected, finished_at, error "
        "FROM meta.loads ORDER BY finished_at DESC LIMIT ?",
        [limit],
    )


def freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per KPI: the latest event time in its data, as of the last refresh."""
    return frame(con, "SELECT kpi, display_name, table_name, data_through, refresh_id FROM kpi.catalog ORDER BY kpi")


def rejects(
    con: duckdb.DuckDBPyConnection, source: str | None, limit: int, scope: Scope = EVERYTHING
) -> tuple[pd.DataFrame, int]:
    """Rejected rows (latest first), optionally of one source, and how many there are in all.

    A rejected line cannot be told to belong to a region or team (it did not parse), so a viewer
    restricted to some of the data gets where and why rows were refused, never their text: not the
    original line, and not the part of the reason that quotes a value.
    """
    condition, params = ("source = ?", [source]) if source else ("TRUE", [])
    total = frame(con, f"SELECT count(*) AS n FROM meta.rejects WHERE {condition}", params)["n"].iloc[0]
    text = "reason, original" if scope.unrestricted else "split_part(reason, ':', 1) AS reason, NULL AS original"
    rows = frame(
        con,
        f"SELECT source, file, line, column_name, {text}, load_id FROM meta.rejects WHERE {condition} "
        "ORDER BY load_id DESC, file, line LIMIT ?",
        [*params, limit],
    )
    return rows, int(total)


def last_refresh(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The most recent refresh: when it finished and whether everything in it succeeded."""
    latest = frame(
        con,
        "SELECT refresh_id, finished_at, status, sources_failed, kpis_failed "
        "FROM meta.refreshes ORDER BY refresh_id DESC LIMIT 1",
    )
    return None if latest.empty else {str(key): value for key, value in latest.iloc[0].items()}
