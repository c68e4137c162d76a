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


def run_dashboard(config: Path, monkeypatch: pytest.MonkeyPatch, kpi: str | None = "nps") -> AppTest:
    monkeypatch.setenv("CXKPI_CONFIG", str(config))
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    if kpi is not None and any(s.key == "kpi" for s in app.selectbox):
        app = app.selectbox(key="kpi").set_value(kpi).run()
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def latest_month(database: Path) -> tuple[float, int, float]:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(
            "SELECT value, n, target FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' "
            "AND dimension = 'total' AND value IS NOT NULL ORDER BY period_start DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return float(row[0]), int(row[1]), float(row[2])


def test_the_trend_page_shows_value_sample_target_and_owner(
    demo_build: tuple[AppConfig, RefreshReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = run_dashboard(config.file, monkeypatch)
    assert not app.exception
    assert not app.error
    value, n, target = latest_month(config.database)
    shown = metrics(app)
    headline = next(label for label in shown if label.startswith("Net Promoter Score"))
    assert headline == "Net Promoter Score · Oct 2026"
    assert shown[headline] == f"{value:,.0f}"
    assert shown["Responses"] == f"{n:,}"
    assert shown["Target"] == f"{target:,.0f}"
    assert any("Dana Whitfield" in m.value for m in app.markdown)


def test_the_chart_carries_every_month_and_the_target(
    demo_build: tuple[AppConfig, RefreshReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = run_dashboard(config.file, monkeypatch)
    chart = app.get("vega_lite_chart")[0].proto
    spec = json.loads(chart.spec)
    data = pa.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()
    assert len(data) == 24  # November 2024 .. October 2026
    fields = {layer["encoding"]["y"]["field"] for layer in spec["layer"] if "y" in layer.get("encoding", {})}
    assert {"value", "target", "ci_low"} <= fields


def test_changing_the_grain_shows_quarters(
    demo_build: tuple[AppConfig, RefreshReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = demo_build
    app = run_dashboard(config.file, monkeypatch)
    app.selectbox(key="grain").set_value("quarter").run()
    assert not app.exception
    assert any(label.endswith("Q4 2026") for label in metrics(app))


def test_first_start_builds_the_database(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = survey_config(*GOOD)
    assert not config.database.exists()
    app = run_dashboard(config.file, monkeypatch, kpi=None)
    assert not app.exception
    assert config.database.exists()
    assert app.status[0].label.startswith("Database built in")
    app = app.selectbox(key="kpi").set_value("nps").run()
    assert metrics(app)["Responses"] == "3"


def test_a_broken_kpi_file_is_a_notice_and_the_rest_still_shows(
    survey_config: Callable[..., AppConfig], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kpi_dir = tmp_path / "kpis"
    kpi_dir.mkdir()
    shutil.copy(ROOT / "kpis" / "definitions" / "nps.yaml", kpi_dir / "nps.yaml")
    shutil.copy(FIXTURES / "bad_kpis" / "unknown_key.yaml", kpi_dir / "broken.yaml")
    config = survey_config(*GOOD, kpi_dir=kpi_dir)
    app = run_dashboard(config.file, monkeypatch, kpi=None)
    assert not app.exception
    warning = app.sidebar.warning[0].value
    assert "1 KPI definition(s) could not be computed" in warning
    assert "broken.yaml:8" in warning and "did you mean 'owner'?" in warning
    assert metrics(app)["Responses"] == "3"


def test_a_corrupt_database_is_explained_not_a_traceback(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = survey_config(*GOOD)
    config.database.parent.mkdir(parents=True, exist_ok=True)
    config.database.write_bytes(b"garbage" * 1000)
    app = run_dashboard(config.file, monkeypatch)
    assert not app.exception
    assert "The database cannot be read." in app.error[0].value
    assert "refresh --full" in app.error[0].value


def test_a_broken_config_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"databse": "x.duckdb"}))
    app = run_dashboard(path, monkeypatch)
    assert not app.exception
    assert "did you mean 'database'?" in app.error[0].value
