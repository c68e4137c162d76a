"""Close the loop: negative feedback flowing into cases, how fast they close, what keeps coming back."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ui import charts, components, data, filters
from ui import format as fmt

chosen = filters.current()
loops = data.catalog().query("status == 'ok' and type == 'loop_closure'")
kpis = {str(row["kpi"]): row for row in loops.to_dict("records")}
st.title("Close the loop")
st.caption(f"{chosen.slice_label} · every negative experience is a customer to call back")
components.freshness_line()
if not kpis:
    st.info("No loop-closure KPI is defined. Add one (type: loop_closure) to see open cases and closing times.")
    st.stop()

by_statistic = {str(info["statistic"]): name for name, info in kpis.items()}
time_kpi = by_statistic.get("median_hours") or by_statistic.get("p90_hours")
sla_kpi = by_statistic.get("within_sla_share")
main_kpi = sla_kpi or time_kpi or next(iter(kpis))

grain = chosen.grain if chosen.grain in list(kpis[main_kpi]["grains"]) else "month"
case_dimensions = [str(d) for d in kpis[main_kpi]["dimensions"]]
if not chosen.whole and chosen.dimension not in case_dimensions:
    st.info(
        f"Cases are not recorded by {fmt.label(chosen.dimension).lower()}, so this page shows the whole company's "
        f"cases. Cases can be broken down by {', '.join(fmt.label(d).lower() for d in case_dimensions)}.",
        icon=":material/info:",
    )
    chosen = filters.Filters(chosen.grain, chosen.period)
columns = st.columns(2)
shown_kpis: list[str] = [k for k in (time_kpi, sla_kpi) if k]
for column, kpi in zip(columns, shown_kpis, strict=False):
    info = kpis[kpi]
    series = data.series(kpi, grain, chosen.dimension, chosen.value)
    if chosen.period is not None:
        series = series[pd.to_datetime(series["period_start"]) <= chosen.period]
    with column:
        st.subheader(str(info["display_name"]))
        if series.dropna(subset=["value"]).empty:
            st.caption("No cases in this period.")
            continue
        chart = charts.trend(
            series,
            title=str(info["display_name"]),
            grain=grain,
            decimals=int(info["decimals"]),
            unit=str(info["unit"] or ""),
            min_n=int(info["min_n"]),
            events=data.events(kpi),
        )
        st.altair_chart(chart, width="stretch")
        latest = series.iloc[-1]
        details = json.loads(str(latest["details"])) if latest["details"] else {}
        if details:
            when = fmt.period_label(latest["period_start"], grain, components.through())
            if kpi == sla_kpi:
                said = (f"{details['due']:,} cases were due, {details['met_sla']:,} closed within "
                        f"{details['sla_hours']:g} h; cases still open past the deadline count as misses.")  # fmt: skip
            else:
                said = (f"{details['closed']:,} closed (median {fmt.number(details['median_hours'], 1, ' h')}, "
                        f"90th percentile {fmt.number(details['p90_hours'], 1, ' h')}); "
                        f"{details['reopened']:,} reopened.")  # fmt: skip
            st.caption(f"{when}: {said}")
        components.downloads(f"{kpi}_{grain}", series.drop(columns=["details"]), chart)

st.subheader("Open backlog by age")
backlog = data.loop_backlog(main_kpi, chosen.dimension)
if not chosen.whole:
    backlog = backlog[backlog["dimension_value"] == chosen.value]
if backlog.empty:
    st.success("No open cases.", icon=":material/check_circle:")
else:
    as_of = pd.Timestamp(backlog["as_of"].iloc[0])
    open_cases, overdue = int(backlog["open_cases"].sum()), int(backlog["overdue_cases"].sum())
    c1, c2 = st.columns(2)
    c1.metric("Open cases", f"{open_cases:,}", help=f"As of {as_of:%d %b %Y %H:%M}, the latest time in the data.")
    c2.metric("Past the SLA", f"{overdue:,}")
    stacked = charts.stacked_backlog(backlog)
    st.altair_chart(stacked, width="stretch")
    components.downloads("open_backlog", backlog, stacked)

for dimension, heading in (("team", "By team"), ("owner", "By case owner")):
    team_backlog = data.loop_backlog(main_kpi, dimension)
    if team_backlog.empty:
        continue
    per = team_backlog.groupby("dimension_value")[["open_cases", "overdue_cases"]].sum()
    per = per.sort_values("overdue_cases", ascending=False).reset_index()
    per.columns = [fmt.label(dimension), "Open cases", "Past the SLA"]
    with st.expander(f"Open cases {heading.lower()}"):
        st.dataframe(per, hide_index=True, width="stretch")
        components.downloads(f"open_cases_by_{dimension}", per)

st.subheader("Root causes that recur most")
period_start = chosen.period
if period_start is not None:
    causes = data.breakdown(main_kpi, grain, period_start)
    causes = causes[causes["dimension"] == "root_cause"]
    if causes.empty:
        st.caption("No cases with a root cause in this period.")
    else:
        counts = pd.DataFrame({"Root cause": causes["dimension_value"], "count": causes["n"].astype(int)})
        chart = charts.pareto(counts, category="Root cause", title="Cases")
        st.altair_chart(chart, width="stretch")
        st.caption(f"Cases due in {fmt.period_label(period_start, grain, components.through())}, by root cause; "
                   "the line is the cumulative share: fix the first few and most of the pain goes.")  # fmt: skip
        components.downloads("root_causes", counts, chart)
