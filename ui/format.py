"""How values, periods and statuses look on screen: one place, so every page agrees."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Literal

import pandas as pd

from kpis import status as kpi_status

BadgeColor = Literal["green", "orange", "red", "gray", "blue", "violet", "primary"]

# Icon and words, never colour alone (colour-blind readers, printed pages).
STATUS_BADGES: dict[str, tuple[str, str, BadgeColor]] = {
    kpi_status.ON_TARGET: ("On target", ":material/check_circle:", "green"),
    kpi_status.AT_RISK: ("At risk", ":material/warning:", "orange"),
    kpi_status.OFF_TARGET: ("Off target", ":material/cancel:", "red"),
    kpi_status.NO_TARGET: ("No target set", ":material/remove:", "gray"),
    kpi_status.NO_DATA: ("No data", ":material/block:", "gray"),
}


def number(value: object, decimals: int, unit: str = "") -> str:
    """A KPI value rounded for display only; missing values read 'no data'."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    return f"{float(value):,.{decimals}f}{unit}"  # type: ignore[arg-type]


def signed(value: object, decimals: int, unit: str = "") -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{float(value):+,.{decimals}f}{unit}"  # type: ignore[arg-type]


def count(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "0"
    return f"{int(value):,}"  # type: ignore[call-overload]


def period_label(start: date | datetime | pd.Timestamp, grain: str) -> str:
    day = pd.Timestamp(start)
    if grain == "month":
        return day.strftime("%b %Y")
    if grain == "quarter":
        return f"Q{day.quarter} {day.year}"
    if grain == "year":
        return str(day.year)
    if grain == "week":
        return f"week of {day.strftime('%d %b %Y')}"
    return day.strftime("%d %b %Y")


def status_badge(status: str) -> tuple[str, str, BadgeColor]:
    return STATUS_BADGES.get(status, (status, ":material/help:", "gray"))


GRAIN_LABELS = {"day": "Daily", "week": "Weekly", "month": "Monthly", "quarter": "Quarterly", "year": "Yearly"}
