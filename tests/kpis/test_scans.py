"""A scan shared by several KPIs gives each of them exactly the counts of its own query.

Checked on the demo database with the bundled KPIs plus variants that share a table but differ in
grains, dimensions or filter, in two time zones; and, through a whole refresh, that a shared scan
which fails when it runs leaves each KPI to fail (or not) on its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from core.config import AppConfig, load_config
from core.refresh import RefreshReport, refresh
from kpis import scans
from kpis.compile import CompiledKpi, PeriodSettings, compile_kpi
from kpis.compute import raw_schema
from kpis.definitions import KpiDefinition, load_definitions
from tests.conftest import ROOT, write_config
from tests.kpis.conftest import counts_in_key_order, kpi_variant


def _variant(folder: Path, base: KpiDefinition, name: str, **changes: Any) -> KpiDefinition:
    """A variant without the base KPI's slice owners and worked examples, which may not fit it."""
    return kpi_variant(folder, base, name, owners=None, tests=None, **changes)


def _definitions(folder: Path, config: AppConfig) -> list[KpiDefinition]:
    bundled = load_definitions(config.kpi_definitions).definitions
    nps = next(d for d in bundled if d.name == "nps")
    csat = next(d for d in bundled if d.name == "csat")
    loop_time = next(d for d in bundled if d.name == "loop_closure_time")
    balance = next(d for d in bundled if d.name == "experience_balance")
    return [
        *bundled,
        _variant(folder, nps, "nps_by_region_yearly", grains=["year", "month"], dimensions=["region"]),
        _variant(folder, nps, "nps_in_total", grains=["week"], dimensions=[]),
        _variant(folder, csat, "csat_chat", filter="channel = 'Chat'"),
        _variant(folder, csat, "csat_chat_too", filter="channel = 'Chat'", dimensions=["region", "team"]),
        # the same union of closed and due cases: shares with the two bundled loop-closure KPIs
        _variant(folder, loop_time, "loop_p90", statistic="p90_hours"),
        # a union is shared only when it is the same: another deadline, or other grains, make other rows
        _variant(folder, loop_time, "loop_time_24h", sla_hours=24),
        _variant(folder, loop_time, "loop_time_monthly", grains=["month"], dimensions=["team"]),
        # surveys and reviews, other dimensions: not the same union, so each source's part is shared,
        # the survey's with NPS & co, the reviews' with experience balance's
        _variant(folder, balance, "balance_by_channel", dimensions=["channel", "region"]),
        # the same union as experience balance's: shared whole (its parts are not used)
        _variant(folder, balance, "balance_ratio", statistic="ratio"),
    ]


@pytest.mark.parametrize("timezone", ["Europe/London", "America/Santiago"])
def test_each_kpi_gets_the_counts_of_its_own_query(
    demo_build: tuple[AppConfig, RefreshReport], tmp_path: Path, timezone: str
) -> None:
    config = demo_build[0]
    periods = PeriodSettings(timezone=timezone, week_start=config.week_start)
    with duckdb.connect(str(config.database), read_only=True) as con:
        con.execute("SET TimeZone = ?", [timezone])
        schema = raw_schema(con)
        compiled = [compile_kpi(d, schema, periods) for d in _definitions(tmp_path, config)]
        shared = scans.share(con, compiled, periods)
        groups = {frozenset((kpi, *shared.partners(kpi))) for kpi in shared.queries}
        assert groups == {
            frozenset({"nps", "csat", "ces", "nps_by_region_yearly", "nps_in_total", "balance_by_channel"}),
            frozenset({"csat_chat", "csat_chat_too"}),
            frozenset({"enps", "engagement"}),
            frozenset({"loop_closure_time", "loop_closure_sla", "loop_p90"}),
            frozenset({"experience_balance", "balance_ratio"}),
        }
        by_name: dict[str, CompiledKpi] = {c.definition.name: c for c in compiled}
        for name, query in shared.queries.items():
            own = counts_in_key_order(con, by_name[name].sql)
            got = counts_in_key_order(con, query.sql("duckdb"))
            assert len(own) > 0 and set(own["grain"]) == set(by_name[name].definition.spec.grains)
            pd.testing.assert_frame_equal(got, own, check_exact=False, rtol=1e-12, obj=f"{name} in {timezone}")
        shared.drop(con)
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE temporary").fetchall()


def test_a_window_runs_its_own_query_and_a_kpi_of_several_tables_adds_up_its_parts(
    demo_build: tuple[AppConfig, RefreshReport], tmp_path: Path
) -> None:
    config = demo_build[0]
    periods = PeriodSettings(timezone=config.timezone, week_start=config.week_start)
    bundled = load_definitions(config.kpi_definitions).definitions
    nps = next(d for d in bundled if d.name == "nps")
    rolling = _variant(tmp_path, nps, "nps_rolling", window_days=30, grains=["week", "month"])
    with duckdb.connect(str(config.database), read_only=True) as con:
        schema = raw_schema(con)
        compiled = {d.name: compile_kpi(d, schema, periods) for d in [*bundled, rolling]}
        assert compiled["nps_rolling"].scan is None  # days first, then windows of days
        shared = scans.share(con, list(compiled.values()), periods)
        assert "nps_rolling" not in shared.queries
        assert shared.partners("loop_closure_time") == ("loop_closure_sla",)
        # surveys and reviews: the survey's part from the scan NPS, CSAT and CES share, the reviews'
        # (read by no other KPI) from a query of its own, added up
        assert set(shared.partners("experience_balance")) == {"nps", "csat", "ces"}
        own = counts_in_key_order(con, compiled["experience_balance"].sql)
        got = counts_in_key_order(con, shared.queries["experience_balance"].sql("duckdb"))
        assert len(own) > 0
        pd.testing.assert_frame_equal(got, own, check_exact=True, obj="experience_balance")
        shared.drop(con)
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE temporary").fetchall()


def test_a_refresh_shares_scans_and_a_failing_shared_scan_leaves_each_kpi_to_fail_alone(tmp_path: Path) -> None:
    """Two KPIs with the same filter failing at run time share a scan: each fails alone, the rest refresh."""
    folder = tmp_path / "kpis"
    shutil.copytree(ROOT / "kpis" / "definitions", folder)
    config_file = write_config(tmp_path, kpi_definitions=str(folder))
    report = refresh(load_config(config_file))
    outcomes = {o.name: o for o in report.kpis.outcomes}
    assert set(outcomes["nps"].shared_with) == {"csat", "ces", "experience_balance"}
    assert outcomes["enps"].shared_with == ("engagement",)
    assert set(outcomes["experience_balance"].shared_with) == {"nps", "csat", "ces"}
    assert outcomes["loop_closure_time"].shared_with == ("loop_closure_sla",)

    for name in ("csat", "ces"):
        text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
        (folder / f"{name}.yaml").write_text(text + "filter: CAST(channel AS INTEGER) > 0\n", encoding="utf-8")
    broken = refresh(load_config(config_file), full=True)
    failed = {o.name: o for o in broken.kpis.failed}
    assert set(failed) == {"csat", "ces"}
    for outcome in failed.values():
        assert "could not compute it: Conversion Error" in str(outcome.problems[0])
        assert outcome.problems[0].file is not None and outcome.problems[0].file.stem == outcome.name
    fine = {o.name for o in broken.kpis.outcomes if o.ok}
    assert fine == {"nps", "enps", "engagement", "experience_balance", "loop_closure_time", "loop_closure_sla"}
