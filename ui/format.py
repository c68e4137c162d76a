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
    """A change, e.g. '+5' or '+2.1 pts' (a change in a percentage is in points, not per cent)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{float(value):+,.{decimals}f}{' pts' if unit == '%' else unit}"  # type: ignore[arg-type]


def flag(value: object) -> bool:
    """A yes/no column's value as a Python bool: numpy's bool_ is not `True`, and NA means no."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)


def yes_no(value: object) -> str:
    """A flag in words for tables people read ('Yes', 'No'), never 'True' or 'np.True_'."""
    return "Yes" if flag(value) else "No"


def text(value: object) -> str:
    """Free text for display: missing values (None, NaN, NA) become '' and never the word 'nan'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def delta_color(direction: object, significant: object) -> Literal["normal", "inverse", "off"]:
    """Colour a change red or green only when it is beyond noise; grey otherwise."""
    if not flag(significant):
        return "off"
    return "normal" if direction == "higher_is_better" else "inverse"


def count(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "0"
    return f"{int(value):,}"  # type: ignore[call-overload]


def period_label(start: date | datetime | pd.Timestamp, grain: str, through: pd.Timestamp | None = None) -> str:
    """'Oct 2026', 'Q4 2026 (to date)' when the data stops before the period ends."""
    day = pd.Timestamp(start)
    if grain == "month":
        text = day.strftime("%b %Y")
    elif grain == "quarter":
        text = f"Q{day.quarter} {day.year}"
    elif grain == "year":
        text = str(day.year)
    elif grain == "week":
        text = f"week of {day.strftime('%d %b %Y')}"
    else:
        text = day.strftime("%d %b %Y")
    if through is not None and grain in _STEP and (day + _STEP[grain] - pd.Timedelta(days=1)) > through.normalize():
        text += " (to date)"
    return text


_STEP = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}

LABELS = {
    "journey_stage": "Journey stage",
    "root_cause": "Root cause",
    "dimension_value": "Value",
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
}


def label(name: str) -> str:
    """A column or dimension name as people read it: 'journey_stage' -> 'Journey stage'."""
    return LABELS.get(name, name.replace("_", " ").capitalize())


def kpi_value(raw: object, decimals: int, unit: str, suppressed: object = False) -> str:
    """A KPI value for display, saying why there is none."""
    if flag(suppressed):
        return "hidden (small group)"
    return number(raw, decimals, unit)


def periods_off_target(statuses: list[str]) -> int:
    """How many of the latest periods in a row were off target (the rule lives in kpis.status)."""
    return kpi_status.periods_off_target(statuses)


def is_off_target(status: str) -> bool:
    return status == kpi_status.OFF_TARGET


def status_badge(status: str) -> tuple[str, str, BadgeColor]:
    return STATUS_BADGES.get(status, (status, ":material/help:", "gray"))


# A load's outcome in words (with a symbol, not colour alone) for the data health page.
LOAD_STATUS = {"ok": "✓ Loaded", "unchanged": "– No new data", "failed": "✗ Failed"}


def load_status(status: object) -> str:
    return LOAD_STATUS.get(str(status), str(status).capitalize())


GRAIN_LABELS = {"day": "Daily", "week": "Weekly", "month": "Monthly", "quarter": "Quarterly", "year": "Yearly"}
