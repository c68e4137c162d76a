"""Accountability: each owner with their KPIs, where they stand, how long they have been off target."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ui import components, data, filters
from ui import format as fmt

chosen = filters.current()
catalog = data.catalog().query("status == 'ok'")
st.title("Accountability")
st.caption(f"{chosen.slice_label} · {fmt.GRAIN_LABELS[chosen.grain].lower()} · who answers for what, and what is red")
components.freshness_line()
if catalog.empty:
    st.info("No KPI has been computed yet.")
    st.stop()

values = data.values_at_grain(chosen.grain, chosen.dimension, chosen.value)
if chosen.period is not None:
    values = values[pd.to_datetime(values["period_start"]) <= chosen.period]
rows = []
for _, info in catalog.iterrows():
    mine = values[values["kpi"] == info["kpi"]]
    if mine.empty:
        continue
    latest = mine.iloc[-1]
    decimals, unit = int(info["decimals"]), str(info["unit"] or "")
    label, _, _ = fmt.status_badge(str(latest["status"]))
    streak = fmt.periods_off_target(list(mine["status"]))
    rows.append(
        {
            "Owner": info["owner_name"],
            "Team": info["owner_team"] or "",
            "KPI": info["display_name"],
            "Period": fmt.period_label(latest["period_start"], chosen.grain, components.through()),
            "Value": fmt.kpi_value(latest["value"], decimals, unit, latest["suppressed"]),
            "Target": fmt.number(latest["target"], decimals, unit) if pd.notna(latest["target"]) else "none",
            "Status": label,
            "Off target for": f"{streak} {chosen.grain}{'s' if streak != 1 else ''}" if streak else "",
            "_red": fmt.is_off_target(str(latest["status"])),
            "_streak": streak,
        }
    )
table = pd.DataFrame(rows)
if table.empty:
    st.info("No KPI has values at this grain and breakdown.")
    st.stop()

red = table[table["_red"]]
st.metric("KPIs off target", f"{len(red)} of {len(table)}")
for owner, theirs in table.sort_values(["_red", "_streak"], ascending=False).groupby("Owner", sort=False):
    with st.container(border=True):
        flagged = int(theirs["_red"].sum())
        st.markdown(f"**{owner}** · {theirs['Team'].iloc[0]}" + (f" · :red[{flagged} off target]" if flagged else ""))
        st.dataframe(theirs.drop(columns=["Owner", "Team", "_red", "_streak"]), hide_index=True, width="stretch")

st.subheader("Overdue loop-closure cases")
loops = catalog[catalog["type"] == "loop_closure"]
if loops.empty:
    st.caption("No loop-closure KPI is defined.")
else:
    loop = loops.iloc[0]
    for dimension, heading in (("owner", "By case owner"), ("team", "By team, with the team's accountable owner")):
        backlog = data.loop_backlog(str(loop["kpi"]), dimension)
        if backlog.empty:
            continue
        per = backlog.groupby("dimension_value")[["open_cases", "overdue_cases"]].sum().reset_index()
        per = per.sort_values("overdue_cases", ascending=False)
        owners = json.loads(str(loop["owners"] or "{}")).get(dimension, {})
        per.insert(
            1, "Accountable", [owners.get(v, {}).get("name", loop["owner_name"]) for v in per["dimension_value"]]
        )
        per.columns = [fmt.label(dimension), "Accountable", "Open cases", "Past the SLA"]
        st.markdown(f"**{heading}**")
        st.dataframe(per.head(15), hide_index=True, width="stretch")
        components.downloads(f"overdue_cases_by_{dimension}", per)
