"""The dashboard as a person sees it: served by `streamlit run`, drawn in real headless Chromium.

Screenshots land in tests/artifacts/ (git-ignored) for a reviewer to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.config import AppConfig
from core.refresh import RefreshReport
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

CHART = '[data-testid="stVegaLiteChart"] svg.marks'
RUNNING = '[data-testid="stStatusWidget"]'


def wait_until_drawn(page: Any) -> None:
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    page.wait_for_selector(RUNNING, state="detached", timeout=60_000)


def choose(page: Any, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_selector(RUNNING, state="detached", timeout=60_000)


def open_nps(page: Any, dashboard_url: str) -> None:
    page.goto(dashboard_url)
    wait_until_drawn(page)
    choose(page, "KPI", "Net Promoter Score")
    page.wait_for_selector("text=Net Promoter Score · Oct 2026", timeout=60_000)
    wait_until_drawn(page)


def assert_no_error_shown(page: Any) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "Traceback" not in page.inner_text("body")


def test_the_trend_page_draws_the_nps_trend_target_sample_and_owner(
    page: Any, dashboard_url: str, demo_build: tuple[AppConfig, RefreshReport], artifacts: Path
) -> None:
    open_nps(page, dashboard_url)
    assert_no_error_shown(page)
    with duckdb.connect(str(demo_build[0].database), read_only=True) as con:
        value, n = con.execute(
            "SELECT value, n FROM kpi.latest WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'total'"
        ).fetchall()[0]
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert f"{value:,.0f}" in values
    assert f"{n:,}" in values
    body = page.inner_text("body")
    assert "Dana Whitfield" in body
    assert "Net Promoter Score · Oct 2026" in body
    # The chart has a line for the value and a stepped dashed line for the target.
    assert page.locator(f"{CHART} path").count() >= 3
    shot = screenshot(page, artifacts, "kpi_trend_month")
    assert shot.stat().st_size > 20_000


def test_changing_the_grain_redraws_the_chart(page: Any, dashboard_url: str, artifacts: Path) -> None:
    open_nps(page, dashboard_url)
    choose(page, "Grain", "Quarterly")
    page.wait_for_selector("text=Net Promoter Score · Q4 2026", timeout=60_000)
    wait_until_drawn(page)
    # The chart is redrawn, not left stale: its axis now counts quarters.
    page.wait_for_selector(f"{CHART} text:text-is('Quarter')", timeout=60_000)
    assert_no_error_shown(page)
    screenshot(page, artifacts, "kpi_trend_quarter")
