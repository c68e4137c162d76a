"""CX KPI dashboard: `streamlit run dashboard.py`.

The entry point only sets the page up, makes sure there is data, checks who is looking, draws
the shared filters and routes to the pages in `app_pages/`. Pages present; data comes from `ui.data`;
rules come from `kpis`.
"""

from __future__ import annotations

import streamlit as st

from ui import bootstrap, data, filters
from ui.access import current_viewer
from ui.errors import shown_to_user

PAGES = {  # name used by roles in config.yaml -> (script, title, icon)
    "scorecard": ("app_pages/scorecard.py", "Scorecard", ":material/dashboard:"),
    "kpi": ("app_pages/kpi_detail.py", "KPI detail", ":material/trending_up:"),
    "accountability": ("app_pages/accountability.py", "Accountability", ":material/person_check:"),
    "close_the_loop": ("app_pages/close_the_loop.py", "Close the loop", ":material/autorenew:"),
    "employees": ("app_pages/employees.py", "Employees and customers", ":material/groups:"),
    "voice": ("app_pages/voice.py", "Voice of the customer", ":material/forum:"),
    "data_health": ("app_pages/data_health.py", "Data health", ":material/monitor_heart:"),
}


def main() -> None:
    st.set_page_config(page_title="CX KPIs · Lumen Mobile", page_icon=":material/insights:", layout="wide")
    with shown_to_user():
        config = data.config()
        viewer = current_viewer(config)
        bootstrap.ensure_database(config)
        broken = data.catalog().query("status == 'error'")
    allowed = [
        st.Page(script, title=title, icon=icon, url_path=name, default=index == 0)
        for index, (name, (script, title, icon)) in enumerate((n, p) for n, p in PAGES.items() if viewer.may_open(n))
    ]
    page = st.navigation(allowed)
    with shown_to_user():
        filters.remember(filters.sidebar())
    with st.sidebar:
        if not broken.empty:
            st.warning(
                f"{len(broken)} KPI definition(s) could not be computed; their last good values are shown.\n\n"
                + "\n".join(f"- {problem}" for problem in broken["problems"]),
                icon=":material/warning:",
            )
        if viewer.email:
            st.caption(f"Signed in as {viewer.email} ({viewer.role})")
            st.button("Sign out", on_click=st.logout, key="sign_out")
    with shown_to_user():
        page.run()


main()
