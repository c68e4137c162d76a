"""CX KPI dashboard: `streamlit run dashboard.py`.

The entry point only sets the page up, makes sure there is data, and routes to the pages in
`pages/`. Pages present; data comes from `ui.data`; rules come from `kpis`.
"""

from __future__ import annotations

import streamlit as st

from ui import bootstrap, data
from ui.errors import shown_to_user


def main() -> None:
    st.set_page_config(page_title="CX KPIs · Lumen Mobile", page_icon=":material/insights:", layout="wide")
    with shown_to_user():
        config = data.config()
        bootstrap.ensure_database(config)
        broken = data.catalog().query("status == 'error'")
    if not broken.empty:
        with st.sidebar:
            st.warning(
                f"{len(broken)} KPI definition(s) could not be computed; "
                "their last good values are shown.\n\n" + "\n".join(f"- {problem}" for problem in broken["problems"]),
                icon=":material/warning:",
            )
    page = st.navigation(
        [st.Page("pages/kpi_trend.py", title="KPI trend", icon=":material/trending_up:", default=True)]
    )
    with shown_to_user():
        page.run()


main()
