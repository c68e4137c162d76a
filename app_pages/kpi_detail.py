"""KPI detail: the trend against the target, the breakdowns, the definition and who answers for it."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ui import charts, components, data, filters
from ui import format as fmt

chosen = filters.current()
catalog = data.catalog().query("status == 'ok'").set_index("kpi")
if catalog.empty:
    st.info("No KPI has been computed yet. Add a KPI file and run `python cli.py refresh`.")
    st.stop()

filters.seed_from_url("kpi", list(catalog.index))
kpi = st.selectbox(
    "KPI", list(catalog.index), format_func=lambda name: str(catalog.at[name, "display_name"]), key="kpi"
)
filters.publish_to_url({"kpi": (kpi, None)})
info = catalog.loc[kpi]
decimals, unit = int(info["decimals"]), str(info["unit"] or "")
st.title(str(info["display_name"]))
st.caption(f"{chosen.slice_label} · {fmt.GRAIN_LABELS[chosen.grain].lower()}")
grains = [str(g) for g in info["grains"]]
grain = chosen.grain if chosen.grain in grains else grains[0]
if grain != chosen.grain:
    st.caption(
        f"This KPI is not computed {fmt.GRAIN_LABELS[chosen.grain].lower()}; "
        f"showing it {fmt.GRAIN_LABELS[grain].lower()}."
    )

series = data.series(kpi, grain, chosen.dimension, chosen.value)
shown = series if chosen.period is None else series[pd.to_datetime(series["period_start"]) <= chosen.period]
if shown.dropna(subset=["value"]).empty:
    reason = components.why_empty(info, grain, chosen.dimension)
    if reason.startswith("No responses"):
        reason = "No responses in this period for this KPI and breakdown."
    else:
        reason += " Pick the whole company or another breakdown in the sidebar."
    st.info(reason, icon=":material/info:")
    st.stop()

latest = shown.iloc[-1]
label, icon, color = fmt.status_badge(str(latest["status"]))
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1.6])
    delta = fmt.signed(latest["change"], decimals, unit)
    c1.metric(
        fmt.period_label(latest["period_start"], grain, components.through()),
        fmt.kpi_value(latest["value"], decimals, unit, latest["suppressed"]),
        delta=f"{delta} vs previous" if delta else None,
        delta_color=fmt.delta_color(info["direction"], latest["change_significant"]),
        help=f"95% interval: {fmt.number(latest['ci_low'], decimals, unit)} to "
        f"{fmt.number(latest['ci_high'], decimals, unit)}",
    )
    c2.metric("Responses", fmt.count(latest["n"]), help=f"Below {int(info['min_n'])} a value is flagged low sample.")
    c3.metric("Target", fmt.number(latest["target"], decimals, unit) if pd.notna(latest["target"]) else "none")
    with c4:
        st.caption("Status and accountable owner")
        st.badge(label, icon=icon, color=color)
        owner = components.owner_of(info, chosen.dimension, chosen.value)
        team = info["owner_team"] if owner == info["owner_name"] else chosen.slice_label
        st.markdown(f"**{owner}**" + (f" · {team}" if team else ""))
    if fmt.flag(latest["low_sample"]):
        st.caption(f":material/info: Low sample: fewer than {int(info['min_n'])} responses.")
    if fmt.flag(latest["change_significant"]):
        st.caption(":material/bolt: The change from the previous period is statistically significant (p < 0.05).")
    elif pd.notna(latest["change_p_value"]):
        st.caption("The change from the previous period is within the noise (not significant at p < 0.05).")

events = data.events(kpi)
chart = charts.trend(shown, title=str(info["display_name"]), grain=grain, decimals=decimals, unit=unit,
                     min_n=int(info["min_n"]), events=events)  # fmt: skip
st.altair_chart(chart, width="stretch")
components.downloads(f"{kpi}_{grain}_trend", shown.drop(columns=["details"]), chart)

st.subheader("Breakdown")
breakdown = data.breakdown(kpi, grain, pd.Timestamp(latest["period_start"]))
dimensions = [str(d) for d in info["dimensions"] if d in set(breakdown["dimension"])]
if not dimensions:
    st.caption("This KPI has no breakdown for this period.")
else:
    tabs = st.tabs([fmt.label(d) for d in dimensions])
    for tab, dimension in zip(tabs, dimensions, strict=True):
        with tab:
            rows = breakdown[breakdown["dimension"] == dimension]
            bars = charts.breakdown_bars(rows, title=str(info["display_name"]), decimals=decimals, unit=unit)
            st.altair_chart(bars, width="stretch", height=charts.bars_height(len(rows)))
            if rows["suppressed"].any():
                st.caption(
                    f"Groups under {int(info['anonymity_min'])} respondents show no score, to protect anonymity."
                )
            with st.expander("The numbers"):
                st.dataframe(components.breakdown_table(rows, decimals, unit), hide_index=True, width="stretch")
            components.downloads(f"{kpi}_by_{dimension}", rows.drop(columns=["details"]), bars)

left, right = st.columns(2)
with left:
    st.subheader("What it means")
    st.markdown(str(info["description"]))
    st.caption(str(info["formula"]))
    targets = json.loads(str(info["targets"] or "[]"))
    if targets:
        st.caption(
            "Targets: " + "; ".join(f"{fmt.number(t['value'], decimals, unit)} from {t['from']}" for t in targets)
        )
with right:
    st.subheader("Who answers for it")
    for role, prefix in (("Owner", "owner"), ("Backup", "backup"), ("Escalation", "escalation")):
        name = info[f"{prefix}_name"]
        if name:
            email = info[f"{prefix}_email"]
            st.markdown(f"**{role}:** {name}" + (f" · {info[f'{prefix}_team']}" if info[f"{prefix}_team"] else "")
                        + (f" · [{email}](mailto:{email})" if email else ""))  # fmt: skip
    owners = json.loads(str(info["owners"] or "{}"))
    for dimension, by_value in owners.items():
        st.caption(f"By {fmt.label(dimension).lower()}: " + "; ".join(f"{v}: {c['name']}" for v, c in by_value.items()))
