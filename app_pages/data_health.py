"""Data health: what was loaded, what was refused and why, how fresh each KPI is, what needs fixing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from ui import components, data
from ui import format as fmt

COUNTS = ("rows_read", "rows_loaded", "rows_rejected")
SOURCE_COLUMNS = {
    "finished_at": "Last load",
    "last_arrival": "New data",
    "source_type": "Type",
    "target_table": "Table",
}

st.title("Data health")
st.caption("Every row is accounted for: read = loaded + rejected, and every rejected row is kept with its reason")
components.freshness_line()

refreshed = data.last_refresh()
if refreshed is not None and refreshed.get("status") != "ok":
    failed = list(refreshed.get("sources_failed") or []) + list(refreshed.get("kpis_failed") or [])  # type: ignore[call-overload]
    st.warning(
        "The last refresh was partial; the last good data is kept for: " + ", ".join(failed), icon=":material/warning:"
    )

st.subheader("Sources")
loads = data.loads()
if loads.empty:
    st.info("Nothing has been loaded yet.")
else:
    shown = loads.assign(
        status=loads["status"].map(fmt.load_status),
        finished_at=pd.to_datetime(loads["finished_at"]).dt.strftime("%d %b %Y %H:%M"),
        last_arrival=pd.to_datetime(loads["last_arrival"]).dt.strftime("%d %b %Y %H:%M").fillna("never"),
        error=loads["error"].fillna(""),
    )
    shown = shown.rename(columns=SOURCE_COLUMNS | {c: fmt.label(c) for c in loads.columns if c not in SOURCE_COLUMNS})
    counts = {fmt.label(c): st.column_config.NumberColumn(format="localized") for c in COUNTS}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=counts)
    st.caption("Last load: when the source was last read. New data: when it last brought new rows (UTC).")
    components.downloads("loads", loads)

st.subheader("Rejected rows")
sources = ["All sources", *sorted(loads["source"])] if not loads.empty else ["All sources"]
source = st.selectbox("Source", sources, key="reject_source")
picked = None if source == "All sources" else source
rejects, total = data.rejects(picked, 200)
if total == 0:
    st.success("No rejected rows.", icon=":material/check_circle:")
else:
    st.caption(f"{total:,} rejected rows; the latest 200 shown. The download has all of them (up to 100,000).")
    readable = rejects.assign(file=[Path(str(f)).name for f in rejects["file"]])  # the folder is noise here
    st.dataframe(readable.rename(columns={c: fmt.label(c) for c in rejects.columns}), hide_index=True, width="stretch")
    components.downloads(f"rejected_rows_{picked or 'all'}", lambda: data.rejects(picked, 100_000)[0])

st.subheader("Freshness per KPI")
freshness = data.freshness()
if not freshness.empty:
    freshness = freshness.assign(data_through=pd.to_datetime(freshness["data_through"]).dt.strftime("%d %b %Y %H:%M"))
    freshness = freshness.drop(columns=["kpi", "refresh_id"]).rename(
        columns={"display_name": "KPI", "table_name": "Source table", "data_through": "Data through"}
    )
    st.dataframe(freshness, hide_index=True, width="stretch")
    components.downloads("freshness", freshness)

st.subheader("KPI and configuration problems")
broken = data.catalog().query("status == 'error'")
if broken.empty:
    st.success("Every KPI file is valid and was computed.", icon=":material/check_circle:")
else:
    for row in broken.to_dict("records"):
        st.error(f"**{row['display_name']}**: {row['problems']}", icon=":material/error:")
