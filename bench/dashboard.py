"""Server-side render time of the scorecard and a KPI detail page, cold and with a warm cache.

Streamlit's AppTest runs the page scripts as the server would (without a browser): the first run
in a fresh process has an empty cache (cold), the next run of the same pages reads the cache
(warm). The dashboard reads only the `kpi` tables, so its cost should not grow with raw rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.dataset import REPO
from bench.measure import measured

PAGES = {"scorecard": None, "kpi_detail": "app_pages/kpi_detail.py"}


def _render() -> dict[str, dict[str, float]]:
    from streamlit.testing.v1 import AppTest

    timings: dict[str, dict[str, float]] = {}
    with measured() as scorecard:
        app = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=600)
        app.query_params["kpi"] = "nps"
        app.run()
    _no_exception(app, "scorecard")
    timings["scorecard"] = {"wall_s": scorecard.wall_s, "cpu_s": scorecard.cpu_s}
    with measured() as detail:
        app.switch_page("app_pages/kpi_detail.py").run()
    _no_exception(app, "kpi_detail")
    timings["kpi_detail"] = {"wall_s": detail.wall_s, "cpu_s": detail.cpu_s}
    return timings


def _no_exception(app: Any, page: str) -> None:
    if len(app.exception):
        raise RuntimeError(f"{page} raised: {app.exception[0].value}")
    if len(app.error):
        raise RuntimeError(f"{page} showed an error: {app.error[0].value}")


def render_times(config: Path) -> dict[str, Any]:
    os.environ["CXKPI_CONFIG"] = str(config)
    cold = _render()
    warm = _render()
    return {"cold": cold, "warm": warm}
