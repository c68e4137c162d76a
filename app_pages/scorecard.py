"""Scorecard: every KPI against its target, with its change, its sample and its owner."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import components, data, filters
from ui import format as fmt

CATEGORIES = {"customer": "Customers", "employee": "Employees", "operations": "Closing the loop"}
PER_ROW = 4

chosen = filters.current()
catalog = data.catalog().query("status == 'ok'")
st.title("Scorecard")
period = fmt.period_label(chosen.period, chosen.grain, components.through()) if chosen.period is not None else "—"
st.caption(f"{chosen.slice_label} · {fmt.GRAIN_LABELS[chosen.grain].lower()} · {period}")
components.freshness_line()
if catalog.empty:
    st.info("No KPI has been computed yet. Add a KPI file and run `python cli.py refresh`.")
    st.stop()

values = data.values_at_grain(chosen.grain, chosen.dimension, chosen.value)
for category, heading in CATEGORIES.items():
    group = catalog[catalog["category"] == category]
    if group.empty:
        continue
    st.subheader(heading)
    columns = st.columns(PER_ROW)
    for index, (_, info) in enumerate(group.iterrows()):
        with columns[index % PER_ROW]:
            components.kpi_card(
                info, values[values["kpi"] == info["kpi"]], chosen.grain, chosen.period, chosen.dimension, chosen.value
            )

table = values.merge(catalog[["kpi", "display_name"]], on="kpi")
if chosen.period is not None:
    table = table[pd.to_datetime(table["period_start"]) == chosen.period]
components.downloads("scorecard", table.drop(columns=["details"]))
