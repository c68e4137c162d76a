"""The dashboard as a person sees it: served by `streamlit run`, drawn in real headless Chromium.

Screenshots of every page land in tests/artifacts/ (git-ignored) for a reviewer to look at.
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
PAGES = {  # url path -> words the page must show
    "": "Scorecard",
    "kpi?kpi=nps": "Net Promoter Score",
    "accountability": "KPIs off target",
    "close_the_loop": "Open backlog by age",
    "employees": "Team by team",
    "voice": "Wins to celebrate",
    "data_health": "Rejected rows",
}


def settle(page: Any) -> None:
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=60_000)
    page.wait_for_timeout(500)
    page.wait_for_selector(RUNNING, state="detached", timeout=60_000)


def assert_no_error_shown(page: Any) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "Traceback" not in page.inner_text("body")


def choose(page: Any, label: str, option: str) -> None:
    """Pick an option as a person does: open the box, type to narrow a long (virtualised) list, click."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("combobox", name=label).fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p.split("?")[0] or "scorecard")
def test_every_page_draws_in_a_real_browser(page: Any, dashboard_url: str, artifacts: Path, path: str) -> None:
    page.goto(f"{dashboard_url}/{path}")
    settle(page)
    page.wait_for_selector(f"text={PAGES[path]}", timeout=60_000)
    if path not in ("accountability", "data_health"):  # tables only
        page.wait_for_selector(CHART, timeout=60_000)
    assert_no_error_shown(page)
    shot = screenshot(page, artifacts, f"page_{path.split('?', maxsplit=1)[0] or 'scorecard'}")
    assert shot.stat().st_size > 20_000


def test_a_scorecard_card_opens_its_kpi(
    page: Any, dashboard_url: str, demo_build: tuple[AppConfig, RefreshReport], artifacts: Path
) -> None:
    page.goto(dashboard_url)
    settle(page)
    page.get_by_role("link", name="Net Promoter Score").click()
    page.wait_for_selector("h1:has-text('Net Promoter Score')", timeout=60_000)
    settle(page)
    page.wait_for_selector(CHART, timeout=60_000)
    assert "kpi=nps" in page.url
    with duckdb.connect(str(demo_build[0].database), read_only=True) as con:
        value, n = con.execute(
            "SELECT value, n FROM kpi.latest WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'total'"
        ).fetchall()[0]
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert f"{value:,.0f}" in values and f"{n:,}" in values
    assert "Dana Whitfield" in page.inner_text("body")
    assert page.locator(f"{CHART} path").count() >= 3  # band, value line, stepped target
    screenshot(page, artifacts, "kpi_detail_from_scorecard")


def test_changing_the_grain_redraws_and_keeps_it_in_the_link(page: Any, dashboard_url: str, artifacts: Path) -> None:
    page.goto(f"{dashboard_url}/kpi?kpi=nps")
    settle(page)
    choose(page, "Grain", "Quarterly")
    page.wait_for_selector("text=Q4 2026 (to date)", timeout=60_000)
    period = page.get_by_role("combobox", name="Period").input_value()
    assert period.startswith("Q4 2026"), period  # the picker follows the grain, not left at "Oct 2026"
    # The chart is redrawn, not left stale: its axis now counts quarters.
    page.wait_for_selector(f"{CHART} text:text-is('Quarter')", timeout=60_000)
    assert "grain=quarter" in page.url and "kpi=nps" in page.url
    assert_no_error_shown(page)
    screenshot(page, artifacts, "kpi_detail_quarterly")
    page.goto(page.url)  # the link alone brings the same view back
    settle(page)
    page.wait_for_selector("text=Q4 2026 (to date)", timeout=60_000)


def test_a_region_filter_explains_what_has_no_region(page: Any, dashboard_url: str, artifacts: Path) -> None:
    page.goto(dashboard_url)
    settle(page)
    choose(page, "Breakdown", "Region: EMEA")
    page.wait_for_selector("text=Region: EMEA ·", timeout=60_000)
    assert "slice=region%3AEMEA" in page.url or "slice=region:EMEA" in page.url
    body = page.inner_text("body")
    assert "Not broken down by region." in body  # employee KPIs: said, not left blank
    page.wait_for_selector(CHART, timeout=60_000)
    assert_no_error_shown(page)
    screenshot(page, artifacts, "scorecard_region_emea")
    page.goto(f"{dashboard_url}/close_the_loop?slice=region:EMEA")
    settle(page)
    page.wait_for_selector("text=Cases are not recorded by region", timeout=60_000)
    page.wait_for_selector(CHART, timeout=60_000)
    assert_no_error_shown(page)
    screenshot(page, artifacts, "close_the_loop_region_emea")
