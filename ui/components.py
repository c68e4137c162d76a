"""Pieces several pages share: a KPI card, download buttons, the freshness line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from ui import charts, data
from ui import format as fmt

DETAIL_PAGE = "app_pages/kpi_detail.py"


def kpi_card(
    info: pd.Series,
    series: pd.DataFrame,
    grain: str,
    period: pd.Timestamp | None,
    dimension: str = "total",
    value: str = "total",
) -> None:
    """One KPI at a glance: value, change, status in icon and words, sparkline, sample size, owner."""
    decimals, unit = int(info["decimals"]), str(info["unit"] or "")
    upto = series if period is None else series[pd.to_datetime(series["period_start"]) <= period]
    with st.container(border=True):
        st.page_link(
            DETAIL_PAGE,
            label=f"**{info['display_name']}**",
            icon=":material/open_in_new:",
            query_params={"kpi": info["kpi"]},
        )
        if upto.empty:
            st.caption(why_empty(info, grain, dimension))
            return
        latest = upto.iloc[-1]
        label, icon, color = fmt.status_badge(str(latest["status"]))
        delta = fmt.signed(latest["change"], decimals, unit)
        if delta and fmt.flag(latest["change_significant"]):
            delta += ", significant"
        st.metric(
            fmt.period_label(latest["period_start"], grain, through()),
            fmt.kpi_value(latest["value"], decimals, unit, latest["suppressed"]),
            delta=delta,
            delta_color=fmt.delta_color(info["direction"], latest["change_significant"]),
            help="Change from the previous period: green or red only when statistically significant (p < 0.05). "
            f"95% interval {fmt.number(latest['ci_low'], decimals, unit)} to "
            f"{fmt.number(latest['ci_high'], decimals, unit)}",
        )
        target = fmt.number(latest["target"], decimals, unit) if pd.notna(latest["target"]) else "none"
        st.badge(f"{label} · target {target}", icon=icon, color=color)
        if len(upto) > 1:
            st.altair_chart(charts.sparkline(upto.tail(12)), width="stretch")
        sample = f"n = {fmt.count(latest['n'])}"
        if fmt.flag(latest["low_sample"]):
            sample += " · low sample"
        st.caption(f"{sample} · owner **{owner_of(info, dimension, value)}**")


def breakdown_table(rows: pd.DataFrame, decimals: int, unit: str) -> pd.DataFrame:
    """A breakdown as people read it: formatted values, the interval in words, flags as Yes/No."""
    return pd.DataFrame(
        {
            "Group": rows["dimension_value"],
            "Value": [
                fmt.kpi_value(v, decimals, unit, s) for v, s in zip(rows["value"], rows["suppressed"], strict=True)
            ],
            "95% interval": [
                "" if fmt.flag(s) else f"{fmt.number(lo, decimals, unit)} to {fmt.number(hi, decimals, unit)}"
                for lo, hi, s in zip(rows["ci_low"], rows["ci_high"], rows["suppressed"], strict=True)
            ],
            "Responses": [fmt.count(n) for n in rows["n"]],
            "Low sample": [fmt.yes_no(low) for low in rows["low_sample"]],
            "Status": [fmt.status_badge(str(s))[0] for s in rows["status"]],
        }
    )


def owner_of(info: pd.Series, dimension: str, value: str) -> str:
    """Who answers for this KPI in this slice: the slice's own owner when the KPI file names one."""
    owners = json.loads(str(info["owners"] or "{}"))
    return str(owners.get(dimension, {}).get(value, {}).get("name") or info["owner_name"])


def why_empty(info: pd.Series, grain: str, dimension: str) -> str:
    """Why a KPI has nothing to show: not at this grain, not by this dimension, or no responses."""
    if grain not in [str(g) for g in info["grains"]]:
        return f"Not computed {fmt.GRAIN_LABELS.get(grain, grain).lower()}."
    if dimension != "total" and dimension not in [str(d) for d in info["dimensions"]]:
        return f"Not broken down by {fmt.label(dimension).lower()}."
    return "No responses in this period."


def downloads(
    name: str, table: pd.DataFrame | Callable[[], pd.DataFrame], chart: alt.TopLevelMixin | None = None
) -> None:
    """CSV of the data (and PNG of the chart) for whatever is on screen; built only when clicked."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    row = st.container(horizontal=True)
    row.download_button(
        "CSV",
        data=_csv(table),
        file_name=f"{slug}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{slug}",
        on_click="ignore",
    )
    if chart is not None:
        row.download_button(
            "PNG",
            data=_png(chart),
            file_name=f"{slug}.png",
            mime="image/png",
            icon=":material/image:",
            key=f"png_{slug}",
            on_click="ignore",
        )


def _csv(table: pd.DataFrame | Callable[[], pd.DataFrame]) -> Callable[[], bytes]:
    def build() -> bytes:
        frame = table() if callable(table) else table
        return frame.to_csv(index=False).encode("utf-8")

    return build


def _png(chart: alt.TopLevelMixin) -> Callable[[], bytes]:
    return lambda: charts.png(chart)


def through() -> pd.Timestamp | None:
    catalog = data.catalog()
    if catalog.empty or catalog["data_through"].isna().all():
        return None
    return pd.Timestamp(catalog["data_through"].max()).tz_localize(None)


def freshness_line() -> None:
    """'Data current through … · last refreshed …', shown on every page."""
    refreshed = data.last_refresh()
    current = through()
    parts = []
    if current is not None:
        parts.append(f"Data current through {current:%d %b %Y}")
    if refreshed and refreshed.get("finished_at") is not None:
        parts.append(f"last refreshed {pd.Timestamp(refreshed['finished_at']):%d %b %Y %H:%M} UTC")  # type: ignore[arg-type]
    if parts:
        st.caption(" · ".join(parts))
