"""Altair charts, in one colour-blind-safe palette (Okabe-Ito), with readable labels."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui import format as fmt

BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREY = "#7F7F7F"
BAND = "#56B4E9"


def _chartable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy Vega-Lite can serialise: dates as datetimes, no nested JSON columns."""
    frame = frame.drop(columns=[c for c in ("details", "filters") if c in frame]).copy()
    for column in ("period_start", "period_end", "on", "as_of"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def trend(
    series: pd.DataFrame,
    *,
    title: str,
    grain: str,
    decimals: int,
    unit: str,
    min_n: int,
    events: pd.DataFrame | None = None,
    width: int | None = None,
) -> alt.LayerChart:
    """The KPI over time: its 95% interval band, the value, the target (stepping), low samples hollow."""
    frame = _chartable(series)
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
    title = axis_title(title, unit)
    y = alt.Y("ci_low:Q", title=title, scale=alt.Scale(zero=False))
    band = base.mark_area(opacity=0.18, color=BAND).encode(y=y, y2="ci_high:Q")
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
    if events is not None and not events.empty:
        layers += _events(events, frame["period"].min(), frame["period"].max())
    chart: alt.LayerChart = (
        alt.layer(*layers)
        .properties(height=360, **({"width": width} if width else {}))
        .configure_axis(labelFontSize=12, titleFontSize=13)
        .configure_view(strokeWidth=0)
    )
    return chart


UNIT_WORDS = {"h": "hours", "d": "days", "min": "minutes", "s": "seconds"}


def axis_title(title: str, unit: str) -> str:
    """'Time to close (median), hours': the unit in words when the name does not already say it."""
    unit = unit.strip()
    if not unit or f" {unit}" in f" {title}":
        return title
    return f"{title}, {UNIT_WORDS.get(unit, unit)}"


def _ticks(grain: str, periods: int) -> dict[str, object]:
    """One tick per period, thinned to about a dozen, so labels never repeat a period."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain)
    if months is not None:
        return {"interval": "month", "step": months * max(1, periods // 12)}
    if grain == "week":
        return {"interval": "week", "step": max(1, periods // 12)}
    return {"interval": "day", "step": max(1, periods // 12)}


def _axis_format(grain: str) -> str:
    return {"year": "%Y", "quarter": "Q%q %Y", "month": "%b %Y", "week": "%d %b %y", "day": "%d %b"}.get(grain, "%b %Y")


def _events(events: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> list[alt.Chart]:
    """Vertical rules with short labels for annotated events inside the chart's time range."""
    shown = events[(events["on"] >= first) & (events["on"] <= last + pd.DateOffset(months=3))]
    if shown.empty:
        return []
    shown = shown.sort_values("on").assign(row=[EVENT_ROW * (i % EVENT_ROWS) for i in range(len(shown))])
    base = alt.Chart(shown).encode(x="on:T")
    rules = base.mark_rule(color=GREY, strokeDash=[2, 3]).encode(tooltip=[alt.Tooltip("text:N", title="Event")])
    # Events a few periods apart would print over each other on one line: stagger them in rows.
    labels = base.mark_text(align="left", baseline="top", dx=4, dy=4, color=GREY, fontSize=11, limit=220).encode(
        text="text:N", y=alt.Y("row:Q", scale=None, axis=None), tooltip=[alt.Tooltip("text:N", title="Event")]
    )
    return [rules, labels]


EVENT_ROW, EVENT_ROWS = 15, 3


def sparkline(series: pd.DataFrame, *, color: str = BLUE) -> alt.LayerChart:
    """A small line of the last periods, with the target as a faint step, no axes."""
    frame = _chartable(series[["period_start", "value", "target"]])
    frame["period"] = pd.to_datetime(frame["period_start"])
    base = alt.Chart(frame).encode(x=alt.X("period:T", axis=None))
    line = base.mark_line(color=color, strokeWidth=2).encode(y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)))
    layers: list[alt.Chart] = [line]
    if frame["target"].notna().any():
        layers.append(
            base.mark_line(color=VERMILLION, strokeDash=[3, 3], strokeWidth=1, interpolate="step-after").encode(
                y="target:Q"
            )
        )
    chart: alt.LayerChart = alt.layer(*layers).properties(height=60).configure_view(strokeWidth=0)
    return chart


def breakdown_bars(rows: pd.DataFrame, *, title: str, decimals: int, unit: str) -> alt.LayerChart:
    """One bar per dimension value with its 95% interval, hidden and low-sample groups marked."""
    frame = _chartable(rows)
    title = axis_title(title, unit)
    frame["Group"] = frame["dimension_value"]
    frame["Value"] = [
        fmt.kpi_value(v, decimals, unit, s) for v, s in zip(frame["value"], frame["suppressed"], strict=True)
    ]
    frame["Responses"] = [fmt.count(n) for n in frame["n"]]
    frame["Sample"] = ["Low sample" if low else "Enough responses" for low in frame["low_sample"]]
    tooltip = ["Group:N", "Value:N", "Responses:N", "Sample:N"]
    y = alt.Y("Group:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(frame).encode(y=y)
    bars = base.mark_bar(height={"band": 0.6}).encode(
        x=alt.X("value:Q", title=title, axis=alt.Axis(tickCount=8)),
        color=alt.Color(
            "Sample:N",
            scale=alt.Scale(domain=["Enough responses", "Low sample"], range=[BLUE, "#A6CEE3"]),
            legend=alt.Legend(title=None, orient="bottom"),
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="#1F2933").encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)
    layers: list[alt.Chart] = [bars, whiskers]
    if frame["target"].notna().any():
        target = alt.Chart(frame.head(1)).mark_rule(color=VERMILLION, strokeDash=[6, 4], strokeWidth=2)
        layers.append(target.encode(x="target:Q"))
    chart: alt.LayerChart = alt.layer(*layers).properties(height=BAR_ROW * max(4, len(frame)))  # type: ignore[assignment]
    return chart


BAR_ROW = 30


def bars_height(rows: int) -> int:
    """Pixels for a bar chart of `rows` bars with its axis and legend.

    Give it to st.altair_chart too: in the browser a layered chart left to size itself in a
    stretched container drew all its bars in a 20-pixel strip, labels over one another.
    """
    return BAR_ROW * max(4, rows) + 90


def stacked_backlog(backlog: pd.DataFrame) -> alt.Chart:
    """Open cases by age bucket per group, overdue ones in vermillion."""
    frame = _chartable(backlog)
    frame["On time"] = frame["open_cases"] - frame["overdue_cases"]
    long = frame.melt(
        id_vars=["dimension_value", "age_bucket", "bucket_order"],
        value_vars=["On time", "overdue_cases"],
        var_name="State",
        value_name="Cases",
    )
    long["State"] = long["State"].replace({"overdue_cases": "Past the SLA"})
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("age_bucket:N", sort=alt.SortField("bucket_order"), title="Open for", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(Cases):Q", title="Open cases"),
            color=alt.Color(
                "State:N",
                scale=alt.Scale(domain=["On time", "Past the SLA"], range=[BLUE, VERMILLION]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("age_bucket:N", title="Open for"),
                "State:N",
                alt.Tooltip("sum(Cases):Q", title="Cases"),
            ],
        )
        .properties(height=260)
    )
    return chart


def pareto(counts: pd.DataFrame, *, category: str, title: str) -> alt.LayerChart:
    """Bars of counts, largest first, and the cumulative share as a line: the vital few."""
    frame = counts.sort_values("count", ascending=False).reset_index(drop=True)
    frame["Cumulative share"] = frame["count"].cumsum() / frame["count"].sum()
    # Level labels, one word a line: slanted labels of two or three words are hard to read.
    axis = alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')", labelLimit=120, labelFontSize=12)
    x = alt.X(f"{category}:N", sort=None, title=None, axis=axis)
    bars = (
        alt.Chart(frame)
        .mark_bar(color=BLUE)
        .encode(x=x, y=alt.Y("count:Q", title=title), tooltip=[f"{category}:N", alt.Tooltip("count:Q", title=title)])
    )
    line = (
        alt.Chart(frame)
        .mark_line(color=VERMILLION, point=alt.OverlayMarkDef(color=VERMILLION))
        .encode(
            x=x,
            y=alt.Y(
                "Cumulative share:Q",
                axis=alt.Axis(format="%", title="Cumulative share"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[f"{category}:N", alt.Tooltip("Cumulative share:Q", format=".0%")],
        )
    )
    chart: alt.LayerChart = alt.layer(bars, line).resolve_scale(y="independent").properties(height=300)
    return chart


def scatter(frame: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    """One point per team: e.g. engagement against NPS, labelled."""
    base = alt.Chart(_chartable(frame)).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=8)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=8)),
        tooltip=[
            "Team:N",
            alt.Tooltip(f"{x}:Q", format=".0f", title=x_title),
            alt.Tooltip(f"{y}:Q", format=".0f", title=y_title),
        ],
    )
    points = base.mark_circle(size=120, color=BLUE)
    labels = base.mark_text(align="left", dx=8, fontSize=11).encode(text="Team:N")
    trend_line = base.transform_regression(x, y).mark_line(color=GREY, strokeDash=[4, 4])
    chart: alt.Chart = alt.layer(points, labels, trend_line).properties(height=360)  # type: ignore[assignment]
    return chart


def lines_by_group(frame: pd.DataFrame, *, title: str, grain: str, group: str) -> alt.Chart:
    """Several lines, one per group (team, KPI), in the Okabe-Ito palette."""
    # Eight teams' lines tangle: a click on a legend entry brings that team forward, the rest fade.
    picked = alt.selection_point(fields=[group], bind="legend")
    axis = alt.Axis(format=_axis_format(grain), labelAngle=0, labelOverlap="greedy")
    if grain in SMALL_TICKS:
        axis.tickCount = SMALL_TICKS[grain]
    chart: alt.Chart = (
        alt.Chart(_chartable(frame))
        .mark_line(point=True)
        .encode(
            x=alt.X("period_start:T", title=None, axis=axis),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)),
            color=alt.Color(f"{group}:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(title=None)),
            opacity=alt.condition(picked, alt.value(1.0), alt.value(0.15)),
            tooltip=[f"{group}:N", alt.Tooltip("period_start:T", format=_axis_format(grain), title="Period"),
                     alt.Tooltip("value:Q", format=".0f", title=title)],
        )
        .add_params(picked)
        .properties(height=320)
    )  # fmt: skip
    return chart


# Half-width charts: a label every quarter (monthly) or every half-year (quarterly), never only two.
SMALL_TICKS: dict[str, dict[str, object]] = {
    "month": {"interval": "month", "step": 3},
    "quarter": {"interval": "month", "step": 6},
}

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG, drawn offline by vl-convert (for downloads and the e-mailed report)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart.to_json(), scale=2))


def experience_counts(rows: pd.DataFrame, *, group: str) -> alt.Chart:
    """Positive, neutral and negative experiences per group, as stacked horizontal bars."""
    long = _chartable(rows)[["dimension_value", "positive", "neutral", "negative"]].melt(
        id_vars=["dimension_value"], var_name="Kind", value_name="Experiences"
    )
    long["Kind"] = long["Kind"].str.capitalize()
    long = long.rename(columns={"dimension_value": group})
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{group}:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False, labelLimit=200)),
            x=alt.X("sum(Experiences):Q", title="Experiences"),
            color=alt.Color(
                "Kind:N",
                scale=alt.Scale(domain=["Positive", "Neutral", "Negative"], range=["#009E73", "#BDBDBD", VERMILLION]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("Kind:N", sort="descending"),
            tooltip=[f"{group}:N", "Kind:N", alt.Tooltip("sum(Experiences):Q", title="Experiences")],
        )
        .properties(height=BAR_ROW * max(4, rows["dimension_value"].nunique()))
    )
    return chart
