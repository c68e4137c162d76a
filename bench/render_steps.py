"""How long the dashboard takes to draw, measured with Streamlit's AppTest on the built database.

    python -m bench.render_steps      # uses config.yaml (run `python cli.py refresh` first)

Cold is the first run in a fresh process (imports, first reads); warm reruns hit the cache keyed by
the data version; a filter change that needs new reads sits in between. Timing lives here, not in
the tests, so a busy machine never fails the suite.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(label: str, step: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = step()
    print(f"{label:<44} {time.perf_counter() - started:6.2f} s")
    return result


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("CXKPI_CONFIG", str(ROOT / "config.yaml"))
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    timed("scorecard, cold (first run in the process)", app.run)
    timed("scorecard, warm rerun", app.run)
    timed("scorecard, grain -> quarter (new reads)", app.selectbox(key="grain").set_value("quarter").run)
    timed("scorecard, grain -> month (cached)", app.selectbox(key="grain").set_value("month").run)
    timed("scorecard, breakdown -> region EMEA", app.selectbox(key="slice").set_value("region:EMEA").run)
    app.selectbox(key="slice").set_value("").run()
    app.query_params["kpi"] = "nps"
    timed("KPI detail, first open (NPS)", app.switch_page("app_pages/kpi_detail.py").run)
    timed("KPI detail, warm rerun", app.run)
    timed("KPI detail, grain -> quarter", app.selectbox(key="grain").set_value("quarter").run)
    timed("KPI detail, KPI -> CSAT", app.selectbox(key="kpi").set_value("csat").run)
    if app.exception:
        raise SystemExit(f"the dashboard failed: {[e.value for e in app.exception]}")


if __name__ == "__main__":
    main()
