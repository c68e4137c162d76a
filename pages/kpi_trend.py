"""KPI trend: one KPI over time against its target, with its sample size and its owner."""

from __future__ import annotations

import streamlit as st

from ui import charts, data
from ui import format as fmt

catalog = data.catalog().query("status == 'ok'")
if catalog.empty:
    st.info("No KPI has been computed yet. Add a KPI file and run `python cli.py refresh`.")
    st.stop()

kpis = catalog.set_index("kpi")
st.title("KPI trend")
left, right = st.columns([3, 1])
kpi = left.selectbox("KPI", list(kpis.index), format_func=lambda name: str(kpis.at[name, "display_name"]), key="kpi")
info = kpis.loc[kpi]
grains = list(info["grains"])
grain = right.selectbox(
    "Grain",
    grains,
    index=grains.index("month") if "month" in grains else 0,
    format_func=lambda g: fmt.GRAIN_LABELS.get(g, g),
    key="grain",
)
series = data.series(kpi, grain)
decimals, unit = int(info["decimals"]), str(info["unit"] or "")
if series.dropna(subset=["value"]).empty:
    st.info("No responses in any period yet for this KPI.")
    st.stop()

latest = series.dropna(subset=["value"]).iloc[-1]
period = fmt.period_label(latest["period_start"], grain)
label, icon, color = fmt.status_badge(str(latest["status"]))

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1.6])
    delta = fmt.signed(latest["change"], decimals, unit)
    c1.metric(
        f"{info['display_name']} · {period}",
        fmt.number(latest["value"], decimals, unit),
        delta=f"{delta} vs previous" if delta else None,
        delta_color="normal" if info["direction"] == "higher_is_better" else "inverse",
        help="95% interval: "
        + fmt.number(latest["ci_low"], decimals, unit)
        + " to "
        + fmt.number(latest["ci_high"], decimals, unit),
    )
    c2.metric(
        "Responses",
        fmt.count(latest["n"]),
        help=f"Valid answers in {period}. Below {int(info['min_n'])} a value is flagged low sample.",
    )
    c3.metric(
        "Target", fmt.number(latest["target"], decimals, unit) if latest["target"] == latest["target"] else "none"
    )
    with c4:
        st.caption("Status and accountable owner")
        st.badge(label, icon=icon, color=color)
        owner = f"**{info['owner_name']}**"
        if info["owner_team"]:
            owner += f" · {info['owner_team']}"
        st.markdown(owner)
        if info["owner_email"]:
            st.caption(str(info["owner_email"]))
    if bool(latest["low_sample"]):
        st.caption(f":material/info: Low sample: fewer than {int(info['min_n'])} responses in {period}.")
    if latest["change_significant"] is True:
        st.caption(":material/bolt: The change from the previous period is statistically significant (p < 0.05).")

chart = charts.trend(
    series, title=str(info["display_name"]), grain=grain, decimals=decimals, unit=unit, min_n=int(info["min_n"])
)
st.altair_chart(chart, width="stretch")

refreshed = data.last_refresh()
through = info["data_through"]
st.caption(
    f"Data current through {fmt.period_label(through, 'day') if through is not None else 'n/a'} · "
    f"last refreshed {refreshed['finished_at']:%d %b %Y %H:%M} UTC"
    if refreshed
    else ""
)
with st.expander("What this KPI means"):
    st.markdown(str(info["description"]))
    st.caption(str(info["formula"]))
