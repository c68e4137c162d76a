"""The dashboard's only door to data: cached reads keyed by the data version.

Every function takes plain arguments and returns a DataFrame or a small value. The cache key
includes the database file's version (it changes exactly when a refresh swaps in a new file), so
a refresh invalidates what changed and nothing ever needs a blanket cache clear. Each read opens
its own short-lived read-only connection: DuckDB connections are not shared across threads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.config import AppConfig, config_path, load_config
from core.database import data_version, read_only
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


def catalog() -> pd.DataFrame:
    return _catalog(str(config().database), version())


def series(kpi: str, grain: str, dimension: str = TOTAL_DIMENSION, value: str = TOTAL_VALUE) -> pd.DataFrame:
    return _series(str(config().database), version(), kpi, grain, dimension, value)


def last_refresh() -> dict[str, object] | None:
    return _last_refresh(str(config().database), version())


@st.cache_data(show_spinner=False, max_entries=64)
def _catalog(database: str, version: str) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.catalog(con)


@st.cache_data(show_spinner=False, max_entries=512)
def _series(database: str, version: str, kpi: str, grain: str, dimension: str, value: str) -> pd.DataFrame:
    with read_only(Path(database)) as con:
        return results.series(con, kpi, grain, dimension, value)


@st.cache_data(show_spinner=False, max_entries=16)
def _last_refresh(database: str, version: str) -> dict[str, object] | None:
    with read_only(Path(database)) as con:
        return results.last_refresh(con)
