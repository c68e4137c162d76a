"""Sign-in and roles, with Streamlit's simulated users: no identity provider needed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from core.config import AppConfig
from core.refresh import RefreshReport
from tests.conftest import ROOT

Build = tuple[AppConfig, RefreshReport]
ACCESS = {
    "sign_in": True,
    "roles": {
        "leadership": {"pages": "all"},
        "emea_manager": {"pages": ["scorecard", "kpi", "voice"], "rows": {"region": ["EMEA"]}},
    },
    "users": {"dana@lumen.example": "leadership", "sophie@lumen.example": "emea_manager"},
}


@pytest.fixture
def signed_in_config(demo_build: Build, tmp_path: Path) -> Path:
    """The demo database, with sign-in turned on in a copy of its config."""
    config, _ = demo_build
    data = yaml.safe_load(config.file.read_text())
    data["access"] = ACCESS
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_as(config: Path, monkeypatch: pytest.MonkeyPatch, email: str | None, page: str | None = None) -> AppTest:
    monkeypatch.setenv("CXKPI_CONFIG", str(config))
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    app.user = {"is_logged_in": email is not None, **({"email": email} if email else {})}
    app.run()
    return app.switch_page(page).run() if page else app


def region_nps(database: Path, region: str | None) -> float:
    dimension, value = ("region", region) if region else ("total", "Total")
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(
            "SELECT value FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' AND dimension = ? "
            "AND dimension_value = ? ORDER BY period_start DESC LIMIT 1",
            [dimension, value],
        ).fetchone()
    assert row is not None
    return float(row[0])


def test_a_visitor_who_has_not_signed_in_sees_no_data(signed_in_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_as(signed_in_config, monkeypatch, None)
    assert not app.exception
    assert app.button[0].label == "Sign in"
    assert not app.metric and not app.get("vega_lite_chart")


def test_an_unknown_account_is_refused(signed_in_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_as(signed_in_config, monkeypatch, "mallory@elsewhere.example")
    assert "has no access" in app.warning[0].value
    assert not app.metric


def test_leadership_sees_the_company_total(
    demo_build: Build, signed_in_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_as(signed_in_config, monkeypatch, "dana@lumen.example")
    assert any(m.value == f"{region_nps(demo_build[0].database, None):,.0f}" for m in app.metric)
    assert "Signed in as dana@lumen.example (leadership)" in " ".join(c.value for c in app.sidebar.caption)


def test_a_regional_manager_sees_only_their_region_everywhere(
    demo_build: Build, signed_in_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = demo_build[0].database
    app = run_as(signed_in_config, monkeypatch, "sophie@lumen.example")
    shown = {m.value for m in app.metric}
    assert f"{region_nps(database, 'EMEA'):,.0f}" in shown  # their headline is EMEA's
    breakdowns = app.selectbox(key="slice").options
    assert all("EMEA" in option for option in breakdowns)  # no other region, no company total to pick
    voice = app.switch_page("app_pages/voice.py").run()
    comments = voice.dataframe[0].value
    assert set(comments["Region"]) == {"EMEA"}


def test_pages_outside_a_role_are_not_offered(signed_in_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_as(signed_in_config, monkeypatch, "sophie@lumen.example")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not registered for this role
        app.switch_page("app_pages/data_health.py").run()
