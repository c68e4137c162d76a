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


def up_to_period(series: pd.DataFrame) -> pd.DataFrame:
    if chosen.period is None:
        return series
    return series[pd.to_datetime(series["period_start"]) <= chosen.period]


def standing(info: pd.Series, mine: pd.DataFrame, owner: dict[str, str], kpi_label: str) -> dict[str, object]:
    """One line of an owner's table: the KPI (or their slice of it) in the latest period shown."""
    latest = mine.iloc[-1]
    decimals, unit = int(info["decimals"]), str(info["unit"] or "")
    label, _, _ = fmt.status_badge(str(latest["status"]))
    streak = fmt.periods_off_target(list(mine["status"]))
    return {
        "Owner": owner.get("name") or info["owner_name"],
        "Team": owner.get("team") or "",
        "KPI": kpi_label,
        "Period": fmt.period_label(latest["period_start"], chosen.grain, components.through()),
        "Value": fmt.kpi_value(latest["value"], decimals, unit, latest["suppressed"]),
        "Target": fmt.number(latest["target"], decimals, unit) if pd.notna(latest["target"]) else "none",
        "Status": label,
        "Off target for": f"{streak} {chosen.grain}{'s' if streak != 1 else ''}" if streak else "",
        "_red": fmt.is_off_target(str(latest["status"])),
        "_streak": streak,
    }


rows = []
for _, info in catalog.iterrows():
    company_owner = {"name": str(info["owner_name"]), "team": str(info["owner_team"] or "")}
    slice_owners: dict[str, dict[str, dict[str, str]]] = json.loads(str(info["owners"] or "{}"))
    mine = up_to_period(values[values["kpi"] == info["kpi"]])
    if not mine.empty:
        # Viewing one region (say), its owner answers for it where one is named.
        owner = (
            company_owner if chosen.whole else slice_owners.get(chosen.dimension, {}).get(chosen.value, company_owner)
        )
        rows.append(standing(info, mine, owner, str(info["display_name"])))
    if not chosen.whole:
        continue
    for dimension, by_value in slice_owners.items():
        for value, slice_owner in by_value.items():
            theirs = up_to_period(data.series(str(info["kpi"]), chosen.grain, dimension, value))
            if not theirs.empty:
                rows.append(
                    standing(info, theirs, slice_owner, f"{info['display_name']} · {fmt.label(dimension)}: {value}")
                )
table = pd.DataFrame(rows)
if table.empty:
    st.info("No KPI has values at this grain and breakdown.")
    st.stop()


def overdue_by_person() -> tuple[dict[str, int], dict[str, int]]:
    """Cases past the SLA assigned to each person, and in the teams each person answers for."""
    loops = catalog[catalog["type"] == "loop_closure"]
    if loops.empty:
        return {}, {}
    loop = loops.iloc[0]
    own = data.loop_backlog(str(loop["kpi"]), "owner").groupby("dimension_value")["overdue_cases"].sum()
    teams = data.loop_backlog(str(loop["kpi"]), "team").groupby("dimension_value")["overdue_cases"].sum()
    team_owners = json.loads(str(loop["owners"] or "{}")).get("team", {})
    answerable: dict[str, int] = {}
    for team, overdue in teams.items():
        person = team_owners.get(team, {}).get("name", loop["owner_name"])
        answerable[person] = answerable.get(person, 0) + int(overdue)
    return {str(k): int(v) for k, v in own.items()}, answerable


assigned, answerable = overdue_by_person()
red = table[table["_red"]]
st.metric(
    "KPIs off target",
    f"{len(red)} of {len(table)}",
    help="Counting each owner's slice (a region, a channel) as its own line.",
)
for person, theirs in table.sort_values(["_red", "_streak"], ascending=False).groupby("Owner", sort=False):
    with st.container(border=True):
        flagged = int(theirs["_red"].sum())
        st.markdown(f"**{person}** · {theirs['Team'].iloc[0]}" + (f" · :red[{flagged} off target]" if flagged else ""))
        st.dataframe(theirs.drop(columns=["Owner", "Team", "_red", "_streak"]), hide_index=True, width="stretch")
        name = str(person)
        cases = [f"{assigned[name]:,} assigned to them"] if assigned.get(name) else []
        cases += [f"{answerable[name]:,} in the teams they answer for"] if answerable.get(name) else []
        if cases:
            st.caption(":material/schedule: Loop-closure cases past the SLA: " + "; ".join(cases) + ".")
        components.downloads(f"kpis_owned_by_{person}", theirs.drop(columns=["_red", "_streak"]))

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
