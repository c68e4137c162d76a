"""Each page driven by its widgets with AppTest, checked against the kpi tables read directly.

The polish a leader notices: the period follows the grain, empty cards say why, a slice has its own
owner, flags read as words, nothing shows 'nan', an old database is explained rather than a crash.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from streamlit.proto.Metric_pb2 import Metric

from tests.ui.test_dashboard import Build, chart_data, metrics, open_page, start
from ui import charts
from ui import format as fmt
from ui.filters import containing_period


def one(database: Path, sql: str, params: list[object] | None = None) -> tuple[object, ...]:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(sql, params or []).fetchall()
    assert row, sql
    return tuple(row[0])


def test_a_period_maps_to_the_new_grains_period_that_holds_it() -> None:
    quarters = ["2026-10-01", "2026-07-01", "2026-04-01"]
    months = ["2026-10-01", "2026-09-01", "2026-08-01", "2026-07-01"]
    weeks = ["2026-10-26", "2026-10-19", "2026-09-28"]
    assert containing_period("2026-08-01", "month", quarters) == "2026-07-01"
    assert containing_period("2026-07-01", "quarter", months) == "2026-09-01"  # its last month
    assert containing_period("2026-10-01", "month", weeks) == "2026-10-26"  # its last week
    assert containing_period("2026-08-15", None, quarters) == "2026-07-01"
    assert containing_period("2020-01-01", "month", quarters) is None


def test_switching_grain_keeps_the_period_in_view_and_in_the_link(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch)
    app = app.selectbox(key="period").set_value("2026-08-01").run()
    assert app.query_params["period"] == "2026-08-01"
    app = app.selectbox(key="grain").set_value("quarter").run()
    assert app.selectbox(key="period").value == "2026-07-01"  # Aug 2026 -> Q3 2026, not left behind
    assert app.query_params["period"] == "2026-07-01"
    (value,) = one(
        config.database,
        "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'quarter' AND dimension = 'total' "
        "AND period_start = DATE '2026-07-01'",
    )
    assert any(m.label == "Q3 2026" and m.value == f"{value:,.0f}" for m in app.metric)


def test_a_change_is_coloured_only_when_significant(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch)
    rows = dict(
        (kpi, bool(significant))
        for kpi, significant in duckdb.connect(str(config.database), read_only=True)
        .execute(
            "SELECT kpi, coalesce(change_significant, false) FROM kpi.kpi_values WHERE grain = 'month' "
            "AND dimension = 'total' AND period_start = DATE '2026-10-01'"
        )
        .fetchall()
    )
    assert set(rows.values()) == {True, False}  # the demo has both kinds
    deltas = [m for m in app.metric if m.proto.delta]
    grey = [m for m in deltas if m.proto.color == Metric.MetricColor.GRAY]
    coloured = [m for m in deltas if m.proto.color != Metric.MetricColor.GRAY]
    assert all("significant" in m.proto.delta for m in coloured)
    assert all("significant" not in m.proto.delta for m in grey)
    assert len(coloured) == sum(rows.values()) and len(grey) == len(rows) - sum(rows.values())


def test_cards_say_why_they_are_empty_and_a_slice_shows_its_owner(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch, slice="region:EMEA")
    captions = [c.value for c in app.caption]
    assert captions.count("Not broken down by region.") == 4  # eNPS, engagement and the two loop KPIs
    (value,) = one(
        config.database,
        "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'region' "
        "AND dimension_value = 'EMEA' AND period_start = DATE '2026-10-01'",
    )
    assert any(m.value == f"{value:,.0f}" for m in app.metric)
    assert any("owner **Sophie Turner**" in c for c in captions)  # NPS in EMEA is hers
    app = app.selectbox(key="slice").set_value("").run()
    app = app.selectbox(key="grain").set_value("week").run()
    assert [c.value for c in app.caption].count("Not computed weekly.") == 2  # the monthly employee survey


def test_kpi_detail_breakdown_grows_with_its_rows_and_the_quarter_axis_reads_q3(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch, grain="quarter"), "app_pages/kpi_detail.py")
    app = app.selectbox(key="kpi").set_value("nps").run()
    trend = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert trend["layer"][0]["encoding"]["x"]["axis"]["format"] == "Q%q %Y"
    channels = chart_data(app, 1).to_pandas()
    (expected,) = one(
        config.database,
        "SELECT count(*) FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'quarter' AND dimension = 'channel' "
        "AND period_start = DATE '2026-10-01'",
    )
    assert len(channels) == expected
    bars = json.loads(app.get("vega_lite_chart")[1].proto.spec)
    assert bars["height"] == charts.BAR_ROW * max(4, len(channels))  # a row of 30 px per bar
    numbers = app.dataframe[0].value
    assert set(numbers["Low sample"]) <= {"Yes", "No"} and numbers["95% interval"].str.contains(" to ").all()


def test_close_the_loop_with_a_region_explains_and_shows_the_company(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch, slice="region:EMEA"), "app_pages/close_the_loop.py")
    assert any("Cases are not recorded by region" in i.value for i in app.info)
    (open_cases,) = one(
        config.database,
        "SELECT sum(open_cases) FROM kpi.loop_backlog WHERE kpi = 'loop_closure_sla' AND dimension = 'total'",
    )
    assert metrics(app)["Open cases"] == f"{open_cases:,}"
    app = app.selectbox(key="slice").set_value("team:Billing Specialists").run()
    (team_cases,) = one(
        config.database,
        "SELECT sum(open_cases) FROM kpi.loop_backlog WHERE kpi = 'loop_closure_sla' AND dimension = 'team' "
        "AND dimension_value = 'Billing Specialists'",
    )
    assert metrics(app)["Open cases"] == f"{team_cases:,}"  # the filter drives the numbers
    assert not app.info


def test_employees_favourability_comes_from_the_engagement_index(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/employees.py")
    favourability = app.dataframe[0].value
    assert len(favourability) >= 3 and len(favourability.columns) > 3  # teams by theme and question
    teams = app.dataframe[1].value
    assert "hidden (small group)" in set(teams["Engagement index"])  # never 'None' or blank
    (value,) = one(
        config.database,
        "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'team' "
        "AND dimension_value = 'Retail Stores' AND period_start = DATE '2026-10-01'",
    )
    assert teams.set_index("Team").at["Retail Stores", "Net Promoter Score"] == f"{value:,.0f}"


def test_voice_wins_never_show_nan_and_an_old_database_is_explained(
    demo_build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/voice.py")
    shown = " ".join([c.value for c in app.caption] + [m.value for m in app.markdown])
    assert "nan" not in shown.split() and "None" not in shown.split() and "Before (" in shown
    old = tmp_path / "old.duckdb"
    shutil.copy(config.database, old)
    with duckdb.connect(str(old)) as con:
        con.execute("DROP TABLE kpi.wins")
    settings = yaml.safe_load(config.file.read_text())
    settings["database"] = str(old)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(settings))
    app = open_page(start(tmp_path / "config.yaml", monkeypatch), "app_pages/voice.py")
    assert not app.exception and not app.error
    assert any("python cli.py refresh" in i.value for i in app.info)


def test_accountability_lists_owners_of_slices(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/accountability.py")
    owners = [m.value for m in app.markdown]
    assert any(text.startswith("**Sophie Turner**") for text in owners)
    tables = pd.concat([frame.value for frame in app.dataframe], ignore_index=True)
    emea = tables[tables["KPI"] == "Net Promoter Score · Region: EMEA"].iloc[0]
    (value,) = one(
        config.database,
        "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'region' "
        "AND dimension_value = 'EMEA' AND period_start = DATE '2026-10-01'",
    )
    assert emea["Value"] == f"{value:,.0f}"
    assert any("past the SLA" in c.value for c in app.caption)


def test_data_health_says_status_in_words_and_when_data_last_arrived(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/data_health.py")
    loads = app.dataframe[0].value
    assert set(loads["Status"]) == {"✓ Loaded"} and loads["New data"].str.match(r"\d\d \w{3} \d{4}").all()
    rejected = app.dataframe[1].value
    assert not rejected["File"].str.contains("/").any()


def test_formats_read_flags_and_missing_text_as_words() -> None:
    assert fmt.flag(np.bool_(True)) is True and fmt.flag(np.bool_(False)) is False
    assert fmt.flag(None) is False and fmt.flag(float("nan")) is False and fmt.flag(pd.NA) is False
    assert fmt.yes_no(np.bool_(True)) == "Yes" and fmt.yes_no(None) == "No"
    assert fmt.text(float("nan")) == "" and fmt.text(None) == "" and fmt.text(" ok ") == "ok"
    assert fmt.delta_color("higher_is_better", np.bool_(False)) == "off"
    assert fmt.delta_color("lower_is_better", np.bool_(True)) == "inverse"
    assert fmt.kpi_value(50.0, 0, "", np.bool_(True)) == "hidden (small group)"


def test_event_labels_are_staggered_and_report_charts_are_wide() -> None:
    series = pd.DataFrame(
        {
            "period_start": pd.date_range("2026-01-01", periods=6, freq="MS"),
            "value": [1.0, 2, 3, 4, 5, 6],
            "ci_low": [0.0] * 6,
            "ci_high": [7.0] * 6,
            "n": [100] * 6,
            "target": [3.0] * 6,
            "status": ["on_target"] * 6,
            "low_sample": [False] * 6,
        }
    )
    events = pd.DataFrame({"on": pd.to_datetime(["2026-02-01", "2026-02-10", "2026-03-01"]), "text": ["a", "b", "c"]})
    chart = charts.trend(series, title="NPS", grain="month", decimals=0, unit="", min_n=30, events=events, width=420)
    spec = chart.to_dict()
    assert spec["width"] == 420
    rows = [d for d in spec["datasets"].values() if d and "row" in d[0]]
    assert sorted(r["row"] for r in rows[0]) == [0, charts.EVENT_ROW, 2 * charts.EVENT_ROW]
    assert charts.axis_title("Time to close (median)", " h") == "Time to close (median), hours"
    assert charts.axis_title("Satisfaction (CSAT %)", "%") == "Satisfaction (CSAT %)"


def test_the_wins_wall_follows_the_breakdown(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch, slice="region:EMEA"), "app_pages/voice.py")
    praise = [c.value for c in app.caption if c.value.startswith("Score ")]
    assert praise and all(" · EMEA · " in text for text in praise)
    with duckdb.connect(str(config.database), read_only=True) as con:
        (expected,) = con.execute(
            "SELECT count(*) FROM kpi.wins WHERE kind = 'praise' AND filters['region'] = 'EMEA' "
            "AND happened_at >= TIMESTAMPTZ '2026-10-01' AND happened_at < TIMESTAMPTZ '2026-11-01'"
        ).fetchall()[0]
    assert len(praise) == min(6, expected)


def tooltip_titles(spec: object) -> list[str]:
    """Every name a tooltip shows: its title, or else its field (what Vega-Lite would print)."""
    found: list[str] = []
    if isinstance(spec, dict):
        for key, part in spec.items():
            if key == "tooltip" and isinstance(part, list):
                found += [str(t.get("title") or t.get("field")) if isinstance(t, dict) else str(t) for t in part]
            else:
                found += tooltip_titles(part)
    elif isinstance(spec, list):
        for part in spec:
            found += tooltip_titles(part)
    return found


@pytest.mark.parametrize("page", ["kpi_detail", "close_the_loop", "employees", "voice"])
def test_tooltips_never_show_raw_column_names(demo_build: Build, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    app = open_page(start(demo_build[0].file, monkeypatch, kpi="nps"), f"app_pages/{page}.py")
    titles = [t for chart in app.get("vega_lite_chart") for t in tooltip_titles(json.loads(chart.proto.spec))]
    assert titles
    raw = [t for t in titles if "_" in t or t in {"nps", "csat", "engagement", "count", "value"}]
    assert not raw, raw
