"""The dashboard's logic with Streamlit's AppTest: widgets drive the data, numbers match DuckDB."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from core.config import AppConfig
from core.refresh import RefreshReport
from tests.conftest import FIXTURES, ROOT
from tests.connectors.test_csv_load import GOOD

DASHBOARD = str(ROOT / "dashboard.py")
Build = tuple[AppConfig, RefreshReport]
PAGES = [
    "app_pages/scorecard.py",
    "app_pages/kpi_detail.py",
    "app_pages/accountability.py",
    "app_pages/close_the_loop.py",
    "app_pages/employees.py",
    "app_pages/voice.py",
    "app_pages/data_health.py",
]


def start(config: Path, monkeypatch: pytest.MonkeyPatch, **query: str) -> AppTest:
    monkeypatch.setenv("CXKPI_CONFIG", str(config))
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


def open_page(app: AppTest, page: str) -> AppTest:
    return app.switch_page(page).run()


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def chart_data(app: AppTest, index: int = 0) -> pa.Table:
    proto = app.get("vega_lite_chart")[index].proto
    return pa.ipc.open_stream(proto.datasets[0].data.data).read_all()


def latest(database: Path, kpi: str, grain: str = "month") -> tuple[float, int, float]:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(
            "SELECT value, n, target FROM kpi.kpi_values WHERE kpi = ? AND grain = ? "
            "AND dimension = 'total' AND value IS NOT NULL ORDER BY period_start DESC LIMIT 1",
            [kpi, grain],
        ).fetchone()
    assert row is not None
    return float(row[0]), int(row[1]), float(row[2])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_every_page_draws_without_an_error(demo_build: Build, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    app = open_page(start(demo_build[0].file, monkeypatch), page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title, "every page has a title"


def test_the_scorecard_shows_every_kpi_with_value_status_and_owner(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch)
    value, n, _ = latest(config.database, "nps")
    shown = [m for m in app.metric if m.value == f"{value:,.0f}"]
    assert shown, metrics(app)
    captions = " ".join(c.value for c in app.caption)
    assert f"n = {n:,}" in captions and "owner **Dana Whitfield**" in captions
    assert "Data current through 31 Oct 2026" in captions
    badges = [m.value for m in app.markdown if "target" in m.value]
    assert any("On target · target 40" in text for text in badges), badges  # icon and words, not colour alone
    assert len(app.get("vega_lite_chart")) >= 8  # a sparkline per KPI


def test_the_grain_filter_changes_every_card_and_lives_in_the_url(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch)
    app = app.selectbox(key="grain").set_value("quarter").run()
    value, _, _ = latest(config.database, "nps", "quarter")
    assert any(m.value == f"{value:,.0f}" for m in app.metric)
    assert any(m.label == "Q4 2026 (to date)" for m in app.metric)  # October only: the quarter is partial
    assert app.query_params["grain"] == "quarter"


def test_a_link_opens_the_kpi_at_the_grain_it_names(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch, kpi="csat", grain="quarter"), "app_pages/kpi_detail.py")
    app.query_params["kpi"] = "csat"
    app = app.run()
    assert app.title[0].value == "Satisfaction (CSAT %)"
    value, n, _ = latest(config.database, "csat", "quarter")
    shown = metrics(app)
    assert shown["Q4 2026 (to date)"] == f"{value:,.1f}%"
    assert shown["Responses"] == f"{n:,}"


def test_the_kpi_detail_trend_has_the_target_interval_and_events(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/kpi_detail.py")
    app = app.selectbox(key="kpi").set_value("nps").run()
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    marks = {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]}
    assert {"area", "line", "point", "rule"} <= marks  # interval band, value and target, points, event rules
    table = chart_data(app).to_pandas()
    with duckdb.connect(str(config.database), read_only=True) as con:
        expected = con.execute(
            "SELECT count(*) FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'total'"
        ).fetchone()
    assert expected is not None and len(table) == expected[0]
    text = " ".join(m.value for m in app.markdown)
    assert "Dana Whitfield" in text and "Priya Natarajan" in text  # owner and escalation
    proto = app.get("vega_lite_chart")[0].proto
    datasets = [pa.ipc.open_stream(d.data.data).read_all().to_pydict() for d in proto.datasets]
    assert any("Billing change" in d.get("text", []) for d in datasets)  # the events file marks the trend


def test_a_breakdown_filter_shows_that_slice(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = start(config.file, monkeypatch)
    app = app.selectbox(key="slice").set_value("region:APAC").run()
    with duckdb.connect(str(config.database), read_only=True) as con:
        row = con.execute(
            "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'region' "
            "AND dimension_value = 'APAC' ORDER BY period_start DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    assert any(m.value == f"{row[0]:,.0f}" for m in app.metric)
    assert "Region: APAC" in app.caption[0].value


def test_employee_groups_under_the_minimum_show_no_score(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/employees.py")
    captions = " ".join(c.value for c in app.caption)
    assert "Retention Desk" in captions  # named as not shown, never scored
    employee_charts = 0
    for index, chart in enumerate(app.get("vega_lite_chart")):
        spec = json.loads(chart.proto.spec)
        titles = json.dumps({key: part for key, part in spec.items() if key != "datasets"})
        if "Engagement index" not in titles and "Employee NPS" not in titles:
            continue  # customers' NPS by team is not an employee survey: no anonymity rule
        employee_charts += 1
        table = chart_data(app, index).to_pandas()
        assert "Retention Desk" not in set(table.get("Team", [])) | set(table.get("dimension_value", []))
    assert employee_charts >= 3  # engagement and eNPS over time, and the team scatter


def test_voice_comments_filter_by_score_band(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/voice.py")
    comments = app.dataframe[0].value
    assert len(comments) == 25 and comments["NPS"].between(0, 6).all()
    app = app.segmented_control(key="band").set_value("Promoters (9-10)").run()
    assert app.dataframe[0].value["NPS"].between(9, 10).all()


def test_data_health_accounts_for_every_row(demo_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = demo_build
    app = open_page(start(config.file, monkeypatch), "app_pages/data_health.py")
    loads = app.dataframe[0].value
    survey = loads[loads["Source"] == "survey_responses"].iloc[0]
    assert survey["Rows read"] == survey["Rows loaded"] + survey["Rows rejected"] == 50_000
    rejected = app.dataframe[1].value
    assert len(rejected) == 25 and set(rejected["Reason"]) and rejected["Line"].notna().all()


def test_first_start_builds_the_database(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = survey_config(*GOOD)
    assert not config.database.exists()
    app = start(config.file, monkeypatch)
    assert not app.exception
    assert config.database.exists()
    assert app.status[0].label.startswith("Database built in")


def test_a_broken_kpi_file_is_a_notice_and_the_rest_still_shows(
    survey_config: Callable[..., AppConfig], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kpi_dir = tmp_path / "kpis"
    kpi_dir.mkdir()
    shutil.copy(ROOT / "kpis" / "definitions" / "nps.yaml", kpi_dir / "nps.yaml")
    shutil.copy(FIXTURES / "bad_kpis" / "unknown_key.yaml", kpi_dir / "broken.yaml")
    config = survey_config(*GOOD, kpi_dir=kpi_dir)
    app = start(config.file, monkeypatch)
    assert not app.exception
    warning = app.sidebar.warning[0].value
    assert "1 KPI definition(s) could not be computed" in warning
    assert "broken.yaml:8" in warning and "did you mean 'owner'?" in warning
    assert [m.value for m in app.metric] == ["0"]  # NPS of the 3 valid answers (10, 7, 3) still shows
    assert any("n = 3" in c.value for c in app.caption)


def test_a_corrupt_database_is_explained_not_a_traceback(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = survey_config(*GOOD)
    config.database.parent.mkdir(parents=True, exist_ok=True)
    config.database.write_bytes(b"garbage" * 1000)
    app = start(config.file, monkeypatch)
    assert not app.exception
    assert "The database cannot be read." in app.error[0].value
    assert "refresh --full" in app.error[0].value


def test_a_broken_config_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"databse": "x.duckdb"}))
    app = start(path, monkeypatch)
    assert not app.exception
    assert "did you mean 'database'?" in app.error[0].value


def test_an_unexpected_error_is_a_notice_with_a_reference_and_its_traceback_is_logged(
    demo_build: Build, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import ui.data

    def broken(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException("IO Error: could not read block 42 of /secret/path/cx.duckdb")

    app = open_page(start(demo_build[0].file, monkeypatch), "app_pages/accountability.py")
    assert not app.error
    monkeypatch.setattr(ui.data, "values_at_grain", broken)
    app.run()
    assert not app.exception
    [notice] = [e.value for e in app.error]
    assert notice.startswith("**This view could not be drawn.**") and "reference `" in notice
    assert "/secret/path" not in notice and "Traceback" not in notice
    reference = notice.split("reference `")[1].split("`")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None
