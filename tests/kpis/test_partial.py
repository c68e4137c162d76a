"""Aggregating only the periods from a day on gives exactly those periods of the whole query.

Checked on the demo database for every KPI whose periods are independent, plus a trailing-window
variant, at days chosen to be awkward: quarter starts falling mid-week (the week then reaches into
the previous quarter), clock changes, a Sunday, the last day of the data; and in a time zone whose
clocks change at midnight.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlglot import exp

from core.config import AppConfig
from core.refresh import RefreshReport
from kpis.compile import PeriodSettings, compile_kpi, grain_start, period_start
from kpis.compute import raw_schema
from kpis.definitions import KpiDefinition, load_definitions
from kpis.measures import measure_for
from kpis.spec import GRAINS
from kpis.state import first_changed_day
from tests.kpis.conftest import counts_in_key_order, kpi_variant

SINCE = (
    date(2024, 11, 1),
    date(2025, 1, 1),  # a Wednesday: its week starts in the previous quarter and year
    date(2025, 3, 30),  # clocks go forward in London (a Sunday)
    date(2025, 7, 1),
    date(2025, 10, 26),  # clocks go back in London (a Sunday)
    date(2026, 9, 28),  # a Monday
    date(2026, 10, 31),  # the last day of the data
)


def _definitions(folder: Path, config: AppConfig) -> list[KpiDefinition]:
    catalog = load_definitions(config.kpi_definitions)
    local = [d for d in catalog.definitions if measure_for(d.spec.type).period_local]
    nps = next(d for d in catalog.definitions if d.name == "nps")
    windowed = kpi_variant(folder, nps, "nps_rolling", window_days=30, grains=["week", "month"])
    return [*local, windowed]


@pytest.mark.parametrize("timezone", ["Europe/London", "America/Santiago"])
def test_periods_from_a_day_are_those_of_the_whole_query(
    demo_build: tuple[AppConfig, RefreshReport], tmp_path: Path, timezone: str
) -> None:
    config = demo_build[0]
    periods = PeriodSettings(timezone=timezone, week_start=config.week_start)
    definitions = _definitions(tmp_path, config)
    assert {d.name for d in definitions} >= {"nps", "csat", "ces", "experience_balance", "enps", "nps_rolling"}
    with duckdb.connect(str(config.database), read_only=True) as con:
        schema = raw_schema(con)
        for definition in definitions:
            whole = counts_in_key_order(con, compile_kpi(definition, schema, periods).sql)
            for since in SINCE:
                starts = whole["grain"].map(lambda g, s=since: pd.Timestamp(grain_start(g, s, periods)))
                expected = whole[pd.to_datetime(whole["period_start"]) >= starts].reset_index(drop=True)
                got = counts_in_key_order(con, compile_kpi(definition, schema, periods, since=since).sql)
                assert len(expected) > 0 or since == SINCE[-1]
                pd.testing.assert_frame_equal(
                    got, expected, check_exact=False, rtol=1e-12, obj=f"{definition.name} since {since} in {timezone}"
                )


@pytest.mark.parametrize("week_start", range(7))
def test_grain_start_is_the_period_start_duckdb_computes(week_start: int) -> None:
    periods = PeriodSettings(timezone="UTC", week_start=week_start)
    days = [date(2023, 12, 1) + timedelta(days=i) for i in range(800)]
    grains = GRAINS
    columns = ", ".join(f"{period_start(g, exp.column('d'), 'DATE', periods).sql('duckdb')} AS {g}" for g in grains)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE days (d DATE)")
        con.executemany("INSERT INTO days VALUES (?)", [[d] for d in days])
        rows = con.execute(f"SELECT d, {columns} FROM days ORDER BY d").fetchall()
    for day, *starts in rows:
        assert starts == [grain_start(g, day, periods) for g in grains], day


def test_first_changed_day_is_the_earliest_day_of_any_load_added_or_lost() -> None:
    before = {"t:time": {"a": [10, "2025-01-03", "2025-06-30"], "b": [5, "2025-07-01", "2025-07-09"]}}
    assert first_changed_day(before, before) is None
    added = {"t:time": {**before["t:time"], "c": [2, "2025-07-10", "2025-07-10"]}}
    assert first_changed_day(before, added) == date(2025, 7, 10)
    shrunk = {"t:time": {**before["t:time"], "b": [3, "2025-07-04", "2025-07-09"]}}
    assert first_changed_day(before, shrunk) == date(2025, 7, 1)  # the rows lost may have been the first ones
    gone = {"t:time": {"a": before["t:time"]["a"]}}
    assert first_changed_day(before, gone) == date(2025, 7, 1)
    replaced = {"t:time": {"a": before["t:time"]["a"], "c": [5, "2025-07-20", "2025-07-29"]}}
    assert first_changed_day(before, replaced) == date(2025, 7, 1)
