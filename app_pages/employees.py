"""Employees and customers: engagement and eNPS beside NPS and CSAT, team by team."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ui import charts, components, data, filters
from ui import format as fmt

RECENT = 12  # periods drawn per line chart: two years of eight teams' lines is a tangle

chosen = filters.current()
kpis = {str(row["kpi"]): row for row in data.catalog().query("status == 'ok'").to_dict("records")}
st.title("Employees and customers")
st.caption("Engaged teams serve customers better: the two side by side, by team")
components.freshness_line()
employee = [name for name, info in kpis.items() if info["category"] == "employee"]
customer = [
    name for name, info in kpis.items() if info["category"] == "customer" and "team" in list(info["dimensions"])
]
if not employee:
    st.info("No employee KPI (category: employee) is defined.")
    st.stop()

# The engagement index carries the favourability by question and theme; eNPS is one question.
employee.sort(key=lambda name: kpis[name]["type"] != "engagement")
grain = chosen.grain if chosen.grain in ("month", "quarter") else "month"
if not chosen.whole:
    st.caption(f"This page compares every team, so the breakdown ({chosen.slice_label}) does not apply here.")
if grain != chosen.grain:
    st.caption("Employee surveys are monthly: showing months.")
values = data.dimension_by_period(tuple(employee + customer), grain, "team")
if chosen.period is not None:
    values = values[pd.to_datetime(values["period_start"]) <= chosen.period]
if values.empty:
    st.info("No team breakdown yet.")
    st.stop()


def team_lines(pair: list[str]) -> None:
    """Each KPI of the pair by team over time, side by side, with its downloads."""
    for column, kpi in zip(st.columns(2), pair, strict=False):
        recent = values[values["period_start"] >= sorted(values["period_start"].unique())[-RECENT:][0]]
        rows = recent[(recent["kpi"] == kpi) & recent["value"].notna()].rename(columns={"dimension_value": "Team"})
        with column:
            st.subheader(str(kpis[kpi]["display_name"]))
            if rows.empty:
                st.caption("No team has enough respondents to show a score.")
                continue
            chart = charts.lines_by_group(rows, title=str(kpis[kpi]["display_name"]), grain=grain, group="Team")
            st.altair_chart(chart, width="stretch")
            hidden = values[(values["kpi"] == kpi) & values["suppressed"].map(fmt.flag)]["dimension_value"].unique()
            if len(hidden):
                minimum = int(kpis[kpi]["anonymity_min"])
                st.caption(f"Not shown (under {minimum!s} respondents in some periods): " + ", ".join(sorted(hidden)))
            components.downloads(f"{kpi}_by_team_{grain}", rows[["Team", "period_start", "value", "n"]], chart)


team_lines(employee[:2])
team_lines([k for k in dict.fromkeys(("nps", "csat", *customer)) if k in customer][:2])

latest = values["period_start"].max()
current = values[values["period_start"] == latest]
wide = current.pivot_table(index="dimension_value", columns="kpi", values="value").reset_index()
wide = wide.rename(columns={"dimension_value": "Team"})
st.subheader(f"Team by team · {fmt.period_label(latest, grain, components.through())}")
x_kpi = employee[0]  # the engagement index when there is one
y_kpi = next((k for k in ("nps", *customer) if k in wide), None)
if y_kpi is not None and x_kpi in wide:
    pairs = wide.dropna(subset=[x_kpi, y_kpi])
    if len(pairs) >= 2:
        chart = charts.scatter(pairs, x=x_kpi, y=y_kpi, x_title=str(kpis[x_kpi]["display_name"]),
                               y_title=str(kpis[y_kpi]["display_name"]))  # fmt: skip
        st.altair_chart(chart, width="stretch")
        st.caption("Each point is a team; teams under the anonymity minimum are left out.")
        components.downloads(f"{x_kpi}_against_{y_kpi}", pairs, chart)
details = current[(current["kpi"] == x_kpi)]
with st.expander("Favourability by question and theme"):
    st.caption("Share of favourable answers (4-5 of 5) by team; the index above is built from these questions.")
    by_team: list[dict[str, object]] = []
    for record in details.dropna(subset=["details"]).to_dict("records"):
        parsed = json.loads(str(record["details"]))
        by_team.append({"Team": record["dimension_value"], **parsed.get("themes", {}), **parsed.get("items", {})})
    favourability = pd.DataFrame(by_team)
    if favourability.empty:
        st.caption("No team has enough respondents to show favourability.")
    else:
        st.dataframe(favourability.round(1), hide_index=True, width="stretch")
        components.downloads("favourability_by_team", favourability)

shown = wide.copy()
suppressed = {(r["dimension_value"], r["kpi"]) for r in current.to_dict("records") if fmt.flag(r["suppressed"])}
for name in [k for k in wide.columns if k in kpis]:
    decimals, unit = int(kpis[name]["decimals"]), str(kpis[name]["unit"] or "")
    shown[name] = [
        fmt.kpi_value(v, decimals, unit, (team, name) in suppressed)
        for team, v in zip(wide["Team"], wide[name], strict=True)
    ]
table = shown.rename(columns={k: str(kpis[k]["display_name"]) for k in wide.columns if k in kpis})
st.dataframe(table, hide_index=True, width="stretch")
components.downloads("teams", wide.rename(columns={k: str(kpis[k]["display_name"]) for k in wide if k in kpis}))
