"""A self-contained HTML scorecard, charts embedded as PNG, for people who never open the dashboard.

Renders what the same read functions as the dashboard return, with its formats and charts, so the
numbers match it; no Streamlit and no database here: `cli.py report` reads and hands the data over.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ui import charts
from ui import format as fmt

STYLE = """
body { font-family: 'Source Sans Pro', Helvetica, Arial, sans-serif; color: #1F2933; margin: 32px; max-width: 1100px; }
h1 { margin-bottom: 4px; } .meta { color: #616E7C; margin-bottom: 24px; }
.grid { display: grid; grid-template-columns: repeat(2, 1fr); gap: 16px; }
.card { border: 1px solid #D9E2EC; border-radius: 8px; padding: 16px; }
.card h2 { font-size: 18px; margin: 0 0 8px; } .value { font-size: 32px; }
.status { font-weight: 600; } .on { color: #00703C; } .risk { color: #8A5A00; } .off { color: #B42318; }
.small { color: #616E7C; font-size: 13px; } img { width: 100%; }
"""
# Drawn at the card's width (half of the 1100 px page, less padding and the axis), not Vega's 300 px default.
REPORT_CHART_WIDTH = 420
STATUS_CLASS = {"on target": "on", "at risk": "risk", "off target": "off"}
STATUS_SYMBOL = {"on target": "&#10003;", "at risk": "&#9888;", "off target": "&#10007;"}


def scorecard_html(
    catalog: pd.DataFrame, values: pd.DataFrame, refreshed: dict[str, object] | None, grain: str = "month"
) -> str:
    """The whole report as one HTML document, from kpis.results' catalog and values at one grain."""
    catalog = catalog.query("status == 'ok'")
    through = pd.to_datetime(catalog["data_through"]).max() if not catalog.empty else None
    through = through.tz_localize(None) if through is not None and through.tzinfo else through
    cards = [_card(info, values[values["kpi"] == info["kpi"]], grain, through) for info in catalog.to_dict("records")]
    meta = [f"Written {datetime.now(UTC):%d %b %Y %H:%M} UTC"]
    if through is not None:
        meta.append(f"data current through {through:%d %b %Y}")
    if refreshed:
        meta.append(f"last refreshed {pd.Timestamp(refreshed['finished_at']):%d %b %Y %H:%M} UTC")  # type: ignore[arg-type]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>CX scorecard</title>"
        f"<style>{STYLE}</style></head><body><h1>CX scorecard</h1>"
        f"<div class='meta'>{html.escape(' · '.join(meta))}</div><div class='grid'>{''.join(cards)}</div>"
        "<p class='small'>Status compares each value with the target in force; a change is marked significant "
        "when it is beyond noise (p &lt; 0.05). Shaded bands are 95% intervals.</p></body></html>"
    )


def _card(info: dict[Hashable, Any], series: pd.DataFrame, grain: str, through: pd.Timestamp | None) -> str:
    name = html.escape(str(info["display_name"]))
    if series.dropna(subset=["value"]).empty:
        return f"<div class='card'><h2>{name}</h2><p class='small'>No responses yet.</p></div>"
    decimals, unit = int(str(info["decimals"])), str(info["unit"] or "")
    latest = series.iloc[-1]
    status = str(latest["status"])
    label, _, _ = fmt.status_badge(status)
    change = fmt.signed(latest["change"], decimals, unit) or ""
    if change and fmt.flag(latest["change_significant"]):
        change += ", significant"
    chart = charts.trend(series.tail(24), title=str(info["display_name"]), grain=grain, decimals=decimals,
                         unit=unit, min_n=int(str(info["min_n"])), width=REPORT_CHART_WIDTH)  # fmt: skip
    image = base64.b64encode(charts.png(chart)).decode("ascii")
    target = fmt.number(latest["target"], decimals, unit) if pd.notna(latest["target"]) else "none"
    return (
        f"<div class='card'><h2>{name}</h2>"
        f"<div class='small'>{html.escape(fmt.period_label(latest['period_start'], grain, through))}</div>"
        f"<div class='value'>{html.escape(fmt.kpi_value(latest['value'], decimals, unit, latest['suppressed']))}</div>"
        f"<div class='status {STATUS_CLASS.get(status, '')}'>{STATUS_SYMBOL.get(status, '')} {html.escape(label)}"
        f" · target {html.escape(target)}</div>"
        f"<div class='small'>{html.escape(change)} vs previous · n = {fmt.count(latest['n'])} · owner "
        f"{html.escape(str(info['owner_name']))}</div>"
        f"<img alt='{name} trend' src='data:image/png;base64,{image}'></div>"
    )
