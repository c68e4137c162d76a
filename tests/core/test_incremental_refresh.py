"""A refresh keeps the KPIs (and the wins wall) whose inputs did not change, and is exactly a full one.

Each case changes one input of a project built from the demo data, refreshes it incrementally,
then builds the same project from scratch (`full`) into another file: every kpi table must be
equal row for row (all columns but the refresh ids and fingerprints, which name the refresh and
the loads), and the KPIs whose inputs did not change must have been kept, not computed again.
KPIs whose table got new rows aggregate again only the periods from the first day touched
(kpis.state); the cases below say which day that must be.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

from core.config import AppConfig, load_config
from core.frames import frame
from core.refresh import RefreshReport, refresh
from tests.conftest import ROOT, write_config

SURVEY_KPIS = {"nps", "csat", "ces", "experience_balance"}
PULSE_KPIS = {"enps", "engagement"}
CASE_KPIS = {"loop_closure_time", "loop_closure_sla"}
ALL_KPIS = SURVEY_KPIS | PULSE_KPIS | CASE_KPIS
BASE_ROWS = 3000
# What names a refresh or a load rather than a result.
NOT_COMPARED = {"refresh_id", "inputs_fingerprint"}
KPI_TABLES = ("kpi_values", "catalog", "loop_backlog", "wins")


class Project:
    """A copy of the demo sources and KPI files, with the survey as a folder of keyed CSV files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.survey = folder / "survey"
        self.kpis = folder / "kpis"
        self.survey.mkdir()
        shutil.copytree(ROOT / "kpis" / "definitions", self.kpis)
        with (ROOT / "demo" / "data" / "survey_responses.csv").open(encoding="utf-8", newline="") as export:
            lines = list(csv.reader(export))
        self.header, self.rows = lines[0], lines[1 : BASE_ROWS + 1]
        self.later = lines[BASE_ROWS + 1 : BASE_ROWS + 301]
        self.write_survey("base.csv", self.rows)
        for name in ("cases.sqlite", "employee_pulse.csv", "reviews.json"):
            shutil.copy(ROOT / "demo" / "data" / name, folder / name)
        data = yaml.safe_load(write_config(folder).read_text())
        data["kpi_definitions"] = str(self.kpis)
        sources = data["sources"]
        sources["survey_responses"]["path"] = str(self.survey / "*.csv")
        sources["survey_responses"]["primary_key"] = ["response_id"]
        for name in ("cases", "employee_pulse", "reviews"):
            sources[name]["path"] = str(folder / Path(sources[name]["path"]).name)
        self.data = data

    def write_survey(self, name: str, rows: list[list[str]]) -> None:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([self.header, *rows])
        (self.survey / name).write_text(text.getvalue(), encoding="utf-8")

    def config(self, database: str = "cx.duckdb", **overrides: Any) -> AppConfig:
        data = {**self.data, "database": str(self.folder / database), **overrides}
        path = self.folder / f"{Path(database).stem}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_config(path)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    built = Project(tmp_path)
    assert refresh(built.config()).ok
    return built


def kept(report: RefreshReport) -> set[str]:
    assert report.ok, [str(p) for o in report.kpis.failed for p in o.problems]
    return {outcome.name for outcome in report.kpis.outcomes if outcome.kept}


def aggregated_from(report: RefreshReport) -> dict[str, date | None]:
    """KPI -> the day from which its periods were aggregated again (None: all of them), for those computed."""
    return {o.name: o.since for o in report.kpis.outcomes if o.ok and not o.kept}


def first_day(rows: list[list[str]], header: list[str]) -> date:
    """The earliest day (Europe/London, the demo's reporting zone) of survey rows."""
    stamps = pd.to_datetime([row[header.index("Submitted At")] for row in rows], utc=True)
    return min(stamps.tz_convert("Europe/London")).date()


def kpi_tables(config: AppConfig) -> dict[str, pd.DataFrame]:
    found: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(config.database), read_only=True) as con:
        for table in KPI_TABLES:
            rows = frame(con, f"SELECT * FROM kpi.{table}")
            rows = rows.drop(columns=[c for c in rows.columns if c in NOT_COMPARED])
            order = pd.Series([repr(row) for row in rows.itertuples(index=False)]).sort_values().index
            found[table] = rows.loc[order].reset_index(drop=True)
    return found


def assert_same_as_full_refresh(project: Project, incremental: AppConfig, **overrides: Any) -> None:
    scratch = project.config("scratch.duckdb", **overrides)
    assert refresh(scratch, full=True).ok
    expected, got = kpi_tables(scratch), kpi_tables(incremental)
    for table in KPI_TABLES:
        assert len(got[table]) > 0, table
        pd.testing.assert_frame_equal(got[table], expected[table], check_exact=False, rtol=1e-9, obj=table)


def test_nothing_changed_keeps_everything(project: Project) -> None:
    before = kpi_tables(project.config())
    report = refresh(project.config())
    assert kept(report) == ALL_KPIS
    assert report.wins == "kept"
    after = kpi_tables(project.config())
    for table in KPI_TABLES:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)


def test_new_survey_rows_recompute_only_what_reads_the_survey(project: Project) -> None:
    project.write_survey("new_day.csv", project.later)
    config = project.config()
    report = refresh(config)
    assert kept(report) == PULSE_KPIS | CASE_KPIS
    assert aggregated_from(report) == dict.fromkeys(SURVEY_KPIS, first_day(project.later, project.header))
    assert report.wins == "updated"
    assert_same_as_full_refresh(project, config)


def test_late_answers_for_old_periods_recompute_from_their_day(project: Project) -> None:
    """A backfill: answers given long ago arrive now, spread over a few old months."""
    late = [[f"LATE-{i}", *row[1:]] for i, row in enumerate(project.rows[1200:2400:40])]
    project.write_survey("late.csv", late)
    config = project.config()
    report = refresh(config)
    since = first_day(late, project.header)
    assert since < first_day(project.rows[2400:], project.header)
    assert aggregated_from(report) == dict.fromkeys(SURVEY_KPIS, since)
    assert report.wins == "updated"
    assert_same_as_full_refresh(project, config)


def test_a_file_read_again_with_fewer_rows_recomputes_from_the_rows_it_lost(project: Project) -> None:
    project.write_survey("new_day.csv", project.later)
    assert refresh(project.config()).ok
    project.write_survey("new_day.csv", project.later[150:])
    config = project.config()
    report = refresh(config)
    assert aggregated_from(report) == dict.fromkeys(SURVEY_KPIS, first_day(project.later, project.header))
    assert report.wins == "rebuilt"  # rows were lost: whose, the table no longer says
    assert_same_as_full_refresh(project, config)


def test_a_trailing_window_recomputes_the_periods_its_window_reaches(project: Project) -> None:
    nps = (project.kpis / "nps.yaml").read_text(encoding="utf-8")
    rolling = nps.replace("name: nps\n", "name: nps_rolling\n", 1).replace("grains:", "window_days: 90\ngrains:", 1)
    (project.kpis / "nps_rolling.yaml").write_text(rolling, encoding="utf-8")
    assert refresh(project.config()).ok
    project.write_survey("new_day.csv", project.later)
    config = project.config()
    report = refresh(config)
    assert aggregated_from(report)["nps_rolling"] == first_day(project.later, project.header)
    assert_same_as_full_refresh(project, config)


def test_a_changed_kpi_file_recomputes_that_kpi_only(project: Project) -> None:
    nps = project.kpis / "nps.yaml"
    nps.write_text(nps.read_text(encoding="utf-8").replace("min_n:", "anonymity_min: 40\nmin_n:", 1))
    config = project.config()
    report = refresh(config)
    assert kept(report) == ALL_KPIS - {"nps"}
    assert report.wins == "kept"
    assert_same_as_full_refresh(project, config)


def test_a_changed_time_zone_recomputes_every_kpi(project: Project) -> None:
    config = project.config(timezone="America/New_York")
    report = refresh(config)
    assert kept(report) == set()
    assert_same_as_full_refresh(project, config, timezone="America/New_York")


def test_rows_replaced_by_primary_key_recompute_what_reads_them(project: Project) -> None:
    changed = []
    for row in project.rows[:200]:
        recommend = project.header.index("Likelihood to Recommend (0-10)")
        changed.append([*row[:recommend], "0" if row[recommend] == "10" else "10", *row[recommend + 1 :]])
    project.write_survey("corrections.csv", changed)
    config = project.config()
    report = refresh(config)
    assert [f.action for load in report.loads for f in load.files if f.action != "unchanged"] == ["loaded"]
    assert kept(report) == PULSE_KPIS | CASE_KPIS
    assert_same_as_full_refresh(project, config)


def test_a_database_source_read_again_recomputes_what_reads_it(project: Project) -> None:
    with sqlite3.connect(project.folder / "cases.sqlite") as db:
        db.execute("UPDATE cases SET closed_at = NULL, status = 'Open' WHERE rowid % 7 = 0")
    config = project.config()
    report = refresh(config)
    assert kept(report) == SURVEY_KPIS | PULSE_KPIS
    assert report.wins == "rebuilt"  # the wins wall credits closed cases
    assert_same_as_full_refresh(project, config)


def test_a_kpi_that_failed_is_computed_again_once_fixed(project: Project) -> None:
    nps = project.kpis / "nps.yaml"
    good = nps.read_text(encoding="utf-8")
    nps.write_text(good.replace("table: feedback", "table: no_such_table"))
    broken = refresh(project.config())
    assert [o.name for o in broken.kpis.failed] == ["nps"]
    nps.write_text(good)
    fixed = refresh(project.config())
    assert kept(fixed) == ALL_KPIS - {"nps"}
    assert_same_as_full_refresh(project, project.config())


def test_a_kpi_that_reads_the_date_is_always_computed(project: Project) -> None:
    nps = project.kpis / "nps.yaml"
    text = nps.read_text(encoding="utf-8")
    assert "\nfilter:" not in text
    nps.write_text(text + "filter: responded_at <= current_date\n")
    assert kept(refresh(project.config())) == ALL_KPIS - {"nps"}
    assert kept(refresh(project.config())) == ALL_KPIS - {"nps"}  # the date may have changed since


def test_compute_and_full_recompute_everything(project: Project) -> None:
    assert kept(refresh(project.config(), load=False)) == set()
    full = refresh(project.config(), full=True)
    assert kept(full) == set() and full.wins == "rebuilt"


def test_a_kpi_whose_query_fails_when_it_runs_keeps_its_last_good_rows(project: Project) -> None:
    """A filter that compiles but cannot convert some value: that KPI fails alone, the rest refresh."""
    before = kpi_tables(project.config())["kpi_values"]
    csat = project.kpis / "csat.yaml"
    good = csat.read_text(encoding="utf-8")
    csat.write_text(good + "filter: CAST(channel AS INTEGER) > 0\n", encoding="utf-8")
    project.write_survey("new_day.csv", project.later)
    report = refresh(project.config())
    [failed] = report.kpis.failed
    assert failed.name == "csat" and "could not compute it: Conversion Error" in str(failed.problems[0])
    assert failed.problems[0].line == len(good.splitlines()) + 1  # points at the filter
    assert {o.name for o in report.kpis.outcomes if o.ok and not o.kept} == SURVEY_KPIS - {"csat"}
    after = kpi_tables(project.config())["kpi_values"]
    pd.testing.assert_frame_equal(
        after[after["kpi"] == "csat"].reset_index(drop=True), before[before["kpi"] == "csat"].reset_index(drop=True)
    )
    csat.write_text(good, encoding="utf-8")
    fixed = refresh(project.config())
    assert aggregated_from(fixed) == {"csat": None}  # its kept counts were dropped with the error
    assert_same_as_full_refresh(project, project.config())
