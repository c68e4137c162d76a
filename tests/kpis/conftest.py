"""Compute a KPI on a small feedback table in a real (in-memory) DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

from core.frames import frame
from kpis.compile import PeriodSettings, compile_kpi
from kpis.compute import compute_values, raw_schema
from kpis.definitions import KpiDefinition, load_definition
from kpis.state import KEYS

NPS_KPI: dict[str, Any] = {
    "name": "nps",
    "display_name": "NPS",
    "type": "nps",
    "description": "test",
    "table": "feedback",
    "time_column": "responded_at",
    "score": "nps",
    "dimensions": ["region"],
    "grains": ["month"],
    "min_n": 1,
    "owner": {"name": "Test Owner"},
}

Row = tuple[str, int | None, str]  # (UTC time stamp, score, region)


@pytest.fixture
def feedback_db() -> Callable[[Sequence[Row]], duckdb.DuckDBPyConnection]:
    def make(rows: Sequence[Row]) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.feedback (responded_at TIMESTAMPTZ, nps BIGINT, region VARCHAR)")
        if rows:
            con.executemany("INSERT INTO raw.feedback VALUES (?::TIMESTAMPTZ, ?, ?)", [list(r) for r in rows])
        return con

    return make


@pytest.fixture
def compute(
    tmp_path: Path, feedback_db: Callable[[Sequence[Row]], duckdb.DuckDBPyConnection]
) -> Callable[..., pd.DataFrame]:
    """compute(rows, timezone=..., week_start=..., **kpi_overrides) -> kpi_values rows."""

    def run(rows: Sequence[Row], timezone: str = "UTC", week_start: int = 0, **overrides: Any) -> pd.DataFrame:
        file = tmp_path / "kpi.yaml"
        file.write_text(yaml.safe_dump({**NPS_KPI, **overrides}, sort_keys=False))
        definition, problems = load_definition(file)
        assert definition is not None, problems
        con = feedback_db(rows)
        compiled = compile_kpi(definition, raw_schema(con), PeriodSettings(timezone, week_start))
        return compute_values(con, compiled, "test")

    return run


def kpi_variant(folder: Path, base: KpiDefinition, name: str, **changes: Any) -> KpiDefinition:
    """`base`'s KPI file with `changes` (a key given None is left out), saved as `name` and loaded."""
    data = {
        key: value
        for key, value in (yaml.safe_load(base.text) | {"name": name, **changes}).items()
        if value is not None
    }
    file = folder / f"{name}.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    definition, problems = load_definition(file)
    assert definition is not None, [str(p) for p in problems]
    return definition


def counts_in_key_order(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The rows of a KPI's counts query, in key order, to compare two ways of computing them."""
    return frame(con, sql).sort_values(list(KEYS)).reset_index(drop=True)


def month_rows(month: str, scores: Sequence[int | None], region: str = "EMEA") -> list[Row]:
    """One response per score, all on the 10th of `month` (YYYY-MM) at noon UTC."""
    return [(f"{month}-10 12:00:00+00", score, region) for score in scores]


def total(values: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    rows = values[(values["dimension"] == "total") & (values["grain"] == grain)]
    return rows.sort_values("period_start").reset_index(drop=True)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


Tables = dict[str, list[dict[str, Any]]]


@pytest.fixture
def kpi_values(tmp_path: Path) -> Callable[..., pd.DataFrame]:
    """kpi_values(kpi, tables, timezone=...) -> the kpi_values rows of `kpi` (a dict) over `tables`.

    Tables are lists of row dicts; columns named *_at are time stamps (TIMESTAMPTZ).
    """

    def run(kpi: dict[str, Any], tables: Tables, timezone: str = "UTC") -> pd.DataFrame:
        file = tmp_path / f"{kpi['name']}.yaml"
        file.write_text(yaml.safe_dump({"owner": {"name": "Test Owner"}, "min_n": 1, **kpi}, sort_keys=False))
        definition, problems = load_definition(file)
        assert definition is not None, [str(p) for p in problems]
        con = duckdb.connect()
        con.execute("SET TimeZone = ?", [timezone])
        con.execute("CREATE SCHEMA raw")
        for name, rows in tables.items():
            table = pd.DataFrame(rows)
            con.register("rows_frame", table)
            con.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM rows_frame")
            con.unregister("rows_frame")
            for column in table.columns:
                if column.endswith("_at"):
                    con.execute(
                        f"ALTER TABLE raw.{name} ALTER {column} TYPE TIMESTAMPTZ USING CAST({column} AS TIMESTAMPTZ)"
                    )
        compiled = compile_kpi(definition, raw_schema(con), PeriodSettings(timezone))
        return compute_values(con, compiled, "test")

    return run
