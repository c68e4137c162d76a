"""The dashboard's only door to data: cached reads keyed by the data version and the viewer's scope.

Every function takes plain arguments and returns a DataFrame or a small value. The cache key
includes the database file's version (it changes exactly when a refresh swaps in a new file), so
a refresh invalidates what changed and nothing ever needs a blanket cache clear. Each read opens
its own short-lived read-only connection: DuckDB connections are not shared across threads. The
viewer's scope (what their role may see) is part of every key and applied in every query.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.access import EVERYTHING, Scope
from core.annotations import for_kpi, load_annotations
from core.config import AppConfig, config_path, load_config
from core.database import data_version, read_only
from core.ddl import has_table
from kpis import results
from kpis.compile import TOTAL_DIMENSION, TOTAL_VALUE


def config() -> AppConfig:
    """config.yaml, re-read only when the file changes."""
    path = config_path().resolve()
    return _config(str(path), path.stat().st_mtime_ns if path.exists() else 0)


@st.cache_resource(show_spinner=False)
def _config(path: str, _mtime: int) -> AppConfig:
    return load_config(path)


def version() -> str:
    return data_version(config().database)


def scope() -> Scope:
    """What the current viewer may see (set by ui.access when the app starts)."""
    found = st.session_state.get("_viewer_scope", EVERYTHING)
    return found if isinstance(found, Scope) else EVERYTHING


def _key() -> tuple[str, str, str]:
    return str(config().database), version(), scope().key()


def catalog() -> pd.DataFrame:
    return _catalog(str(config().database), version())


def series(kpi: str, grain: str, dimension: str = TOTAL_DIMENSION, value: str = TOTAL_VALUE) -> pd.DataFrame:
    return _series(*_key(), scope(), kpi, grain, dimension, value)


def values_at_grain(grain: str, dimension: str = TOTAL_DIMENSION, value: str = TOTAL_VALUE) -> pd.DataFrame:
    return _values_at_grain(*_key(), scope(), grain, dimension, value)


def breakdown(kpi: str, grain: str, period_start: pd.Timestamp) -> pd.DataFrame:
    return _breakdown(*_key(), scope(), kpi, grain, period_start)


def dimension_by_period(kpis: tuple[str, ...], grain: str, dimension: str) -> pd.DataFrame:
    return _dimension_by_period(*_key(), scope(), kpis, grain, dimension)


def periods(grain: str) -> list[pd.Timestamp]:
    return _periods(str(config().database), version(), grain)


def dimension_values() -> pd.DataFrame:
    return _dimension_values(*_key(), scope())


def loop_backlog(kpi: str, dimension: str) -> pd.DataFrame:
    return _loop_backlog(*_key(), scope(), kpi, dimension)


def wins(
    since: pd.Timestamp, until: pd.Timestamp, limit: int, where: tuple[str, str] | None = None
) -> pd.DataFrame | None:
    """Praise and recovered customers (of one slice); None when the database predates the wins table."""
    return _wins(*_key(), scope(), since, until, limit, where)


def comments(
    since: pd.Timestamp,
    until: pd.Timestamp,
    scores: tuple[int, int],
    where: tuple[tuple[str, str], ...],
    page: int,
    per_page: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """A page of customers' comments; empty when config.yaml has no `voice:` section."""
    voice = config().spec.voice
    if voice is None:
        return pd.DataFrame(), 0
    columns = (voice.table, voice.time_column, voice.score, voice.comment)
    limit = per_page or COMMENTS_PER_PAGE
    return _comments(*_key(), scope(), columns, since, until, scores, where, page, limit)


def all_comments(
    since: pd.Timestamp, until: pd.Timestamp, scores: tuple[int, int], where: tuple[tuple[str, str], ...]
) -> pd.DataFrame:
    """Every comment matching the filters (up to COMMENTS_DOWNLOAD_MAX), for the download only."""
    return comments(since, until, scores, where, 0, COMMENTS_DOWNLOAD_MAX)[0]


def loads() -> pd.DataFrame:
    return _meta(str(config().database), version(), "loads")


def load_history() -> pd.DataFrame:
    return _meta(str(config().database), version(), "load_history")


def freshness() -> pd.DataFrame:
    return _meta(str(config().database), version(), "freshness")


def rejects(source: str | None, limit: int) -> tuple[pd.DataFrame, int]:
    return _rejects(*_key(), scope(), source, limit)


def last_refresh() -> dict[str, object] | None:
    return _last_refresh(str(config().database), version())


COMMENTS_PER_PAGE = 25
COMMENTS_DOWNLOAD_MAX = 100_000


@st.cache_data(show_spinner=False, max_entries=64)
def _catalog(database: str, version: str) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.catalog(con)


@st.cache_data(show_spinner=False, max_entries=512)
def _series(
    database: str, version: str, scope_key: str, _scope: Scope, kpi: str, grain: str, dimension: str, value: str
) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.series(con, kpi, grain, dimension, value, _scope)


@st.cache_data(show_spinner=False, max_entries=128)
def _values_at_grain(
    database: str, version: str, scope_key: str, _scope: Scope, grain: str, dimension: str, value: str
) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.values_at_grain(con, grain, dimension, value, _scope)


@st.cache_data(show_spinner=False, max_entries=256)
def _breakdown(
    database: str, version: str, scope_key: str, _scope: Scope, kpi: str, grain: str, period: pd.Timestamp
) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.breakdown(con, kpi, grain, period, _scope)


@st.cache_data(show_spinner=False, max_entries=64)
def _dimension_by_period(
    database: str, version: str, scope_key: str, _scope: Scope, kpis: tuple[str, ...], grain: str, dimension: str
) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.dimension_by_period(con, list(kpis), grain, dimension, _scope)


@st.cache_data(show_spinner=False, max_entries=32)
def _periods(database: str, version: str, grain: str) -> list[pd.Timestamp]:
    with read_only(Path(database)) as con:
        return results.periods(con, grain)


@st.cache_data(show_spinner=False, max_entries=32)
def _dimension_values(database: str, version: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.dimension_values(con, _scope)


@st.cache_data(show_spinner=False, max_entries=64)
def _loop_backlog(database: str, version: str, scope_key: str, _scope: Scope, kpi: str, dimension: str) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.loop_backlog(con, kpi, dimension, _scope)


@st.cache_data(show_spinner=False, max_entries=64)
def _wins(
    database: str,
    version: str,
    scope_key: str,
    _scope: Scope,
    since: pd.Timestamp,
    until: pd.Timestamp,
    limit: int,
    where: tuple[str, str] | None,
) -> pd.DataFrame | None:
    with read_only(Path(database)) as con:
        if not has_table(con, "kpi", "wins"):
            return None
        return results.wins(con, since, until, limit, _scope, where)


@st.cache_data(show_spinner=False, max_entries=256)
def _comments(
    database: str,
    version: str,
    scope_key: str,
    _scope: Scope,
    columns: tuple[str, str, str, str],
    since: pd.Timestamp,
    until: pd.Timestamp,
    scores: tuple[int, int],
    where: tuple[tuple[str, str], ...],
    page: int,
    limit: int,
) -> tuple[pd.DataFrame, int]:
    table, time_column, score, comment = columns
    with read_only(Path(database)) as con:
        return results.comments(
            con,
            table=table,
            time_column=time_column,
            score=score,
            comment=comment,
            since=since,
            until=until,
            scores=scores,
            where=dict(where),
            limit=limit,
            offset=page * limit,
            scope=_scope,
        )


@st.cache_data(show_spinner=False, max_entries=16)
def _meta(database: str, version: str, what: str) -> pd.DataFrame:
    readers = {"loads": results.loads, "load_history": results.load_history, "freshness": results.freshness}
    with read_only(Path(database)) as con:
        return readers[what](con)


@st.cache_data(show_spinner=False, max_entries=16)
def _rejects(
    database: str, version: str, scope_key: str, _scope: Scope, source: str | None, limit: int
) -> tuple[pd.DataFrame, int]:
    with read_only(Path(database)) as con:
        return results.rejects(con, source, limit, _scope)


@st.cache_data(show_spinner=False, max_entries=16)
def _last_refresh(database: str, version: str) -> dict[str, object] | None:
    with read_only(Path(database)) as con:
        return results.last_refresh(con)


def events(kpi: str) -> pd.DataFrame:
    """Events to mark on this KPI's trend, from the annotations file (re-read when it changes)."""
    path = config().annotations
    mtime = path.stat().st_mtime_ns if path is not None and path.is_file() else 0
    return _annotations(str(path) if path else "", mtime, kpi)


@st.cache_data(show_spinner=False, max_entries=64)
def _annotations(path: str, mtime: int, kpi: str) -> pd.DataFrame:
    events = for_kpi(load_annotations(Path(path) if path else None), kpi)
    return pd.DataFrame({"on": [pd.Timestamp(e.day) for e in events], "text": [e.text for e in events]})
