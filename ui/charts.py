"""Altair charts, in one colour-blind-safe palette (Okabe-Ito), with readable labels."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui import format as fmt

BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREY = "#7F7F7F"
BAND = "#56B4E9"


def trend(series: pd.DataFrame, *, title: str, grain: str, decimals: int, unit: str, min_n: int) -> alt.LayerChart:
    """The KPI over time: its 95% interval band, the value, the target (stepping), low samples hollow."""
    frame = series.copy()
    frame["period"] = pd.to_datetime(frame["period_start"])
    frame["Period"] = [fmt.period_label(p, grain) for p in frame["period"]]
    frame["Value"] = [fmt.number(v, decimals, unit) for v in frame["value"]]
    frame["95% interval"] = [
        f"{fmt.number(lo, decimals, unit)} to {fmt.number(hi, decimals, unit)}"
        for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
    ]
    frame["Target"] = [fmt.number(t, decimals, unit) if pd.notna(t) else "none" for t in frame["target"]]
    frame["Responses"] = [fmt.count(n) for n in frame["n"]]
    frame["Status"] = [fmt.status_badge(s)[0] for s in frame["status"]]
    frame["Sample"] = [f"Low sample (n < {min_n})" if low else "Enough responses" for low in frame["low_sample"]]
    x = alt.X(
        "period:T",
        title=fmt.GRAIN_LABELS.get(grain, grain).removesuffix("ly").replace("Dai", "Day"),
        axis=alt.Axis(
            format=_axis_format(grain), labelAngle=0, grid=False, labelOverlap="greedy",
            tickCount=_ticks(grain, len(frame)),
        ),
    )  # fmt: skip
    tooltip = ["Period:N", "Value:N", "95% interval:N", "Responses:N", "Target:N", "Status:N"]
    base = alt.Chart(frame).encode(x=x)
    band = base.mark_area(opacity=0.18, color=BAND).encode(y=alt.Y("ci_low:Q", title=title), y2="ci_high:Q")
    line = base.mark_line(color=BLUE, strokeWidth=2.5).encode(y=alt.Y("value:Q", title=title))
    points = base.mark_point(size=60, strokeWidth=2, color=BLUE).encode(
        y="value:Q",
        fill=alt.Fill(
            "Sample:N",
            scale=alt.Scale(domain=["Enough responses", f"Low sample (n < {min_n})"], range=[BLUE, "white"]),
            legend=alt.Legend(title=None, orient="bottom"),
        ),
        tooltip=tooltip,
    )
    layers: list[alt.Chart] = [band, line, points]
    if frame["target"].notna().any():
        target = base.mark_line(color=VERMILLION, strokeDash=[6, 4], strokeWidth=2, interpolate="step-after").encode(
            y="target:Q", tooltip=tooltip
        )
        label = (
            alt.Chart(frame.tail(1))
            .mark_text(align="left", dx=6, color=VERMILLION, fontWeight="bold")
            .encode(x="period:T", y="target:Q", text=alt.value("Target"))
        )
        layers += [target, label]
    chart: alt.LayerChart = (
        alt.layer(*layers)
        .properties(height=360)
        .configure_axis(labelFontSize=12, titleFontSize=13)
        .configure_view(strokeWidth=0)
    )
    return chart


def _ticks(grain: str, periods: int) -> dict[str, object]:
    """One tick per period, thinned to about a dozen, so labels never repeat a period."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain)
    if months is not None:
        return {"interval": "month", "step": months * max(1, periods // 12)}
    if grain == "week":
        return {"interval": "week", "step": max(1, periods // 12)}
    return {"interval": "day", "step": max(1, periods // 12)}


def _axis_format(grain: str) -> str:
    return {"year": "%Y", "quarter": "%b %Y", "month": "%b %Y", "week": "%d %b %y", "day": "%d %b"}.get(grain, "%b %Y")
