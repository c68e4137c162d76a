"""The shared filters: grain, period and breakdown, in one place, kept in the URL, used by every page."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from kpis.compile import TOTAL_DIMENSION, TOTAL_VALUE
from ui import components, data
from ui import format as fmt

GRAINS = ("week", "month", "quarter")
WHOLE = "Whole company"


@dataclass(frozen=True)
class Filters:
    """What every page shows: one grain, one period (its first day) and one slice of the data."""

    grain: str
    period: pd.Timestamp | None
    dimension: str = TOTAL_DIMENSION
    value: str = TOTAL_VALUE

    @property
    def period_end(self) -> pd.Timestamp | None:
        if self.period is None:
            return None
        return self.period + _STEPS[self.grain]

    @property
    def whole(self) -> bool:
        """True when the whole company is shown (no breakdown picked)."""
        return self.dimension == TOTAL_DIMENSION

    @property
    def slice_label(self) -> str:
        return WHOLE if self.dimension == TOTAL_DIMENSION else f"{fmt.label(self.dimension)}: {self.value}"


def sidebar() -> Filters:
    """Draw the filters in the sidebar (their values live in the URL) and return them."""
    with st.sidebar:
        st.subheader("Filters")
        seed_from_url("grain", GRAINS)
        grain = st.selectbox("Grain", GRAINS, index=1, format_func=lambda g: fmt.GRAIN_LABELS[g], key="grain")
        starts = data.periods(grain)
        options = [p.date().isoformat() for p in starts]
        through = components.through()
        follow_grain("period", grain, options)
        seed_from_url("period", options)
        chosen = st.selectbox(
            "Period",
            options,
            index=0,
            format_func=lambda p: fmt.period_label(pd.Timestamp(p), grain, through),
            key="period",
            placeholder="No data yet",
        )
        slices = _slices()
        seed_from_url("slice", list(slices))
        picked = st.selectbox(
            "Breakdown",
            list(slices),
            index=0,
            format_func=lambda key: slices[key],
            key="slice",
            help="Show every KPI for one region, channel, team ... (KPIs not broken down that way show no data).",
        )
    publish_to_url({"grain": (grain, "month"), "period": (chosen, options[0] if options else None)})
    publish_to_url({"slice": (picked, next(iter(slices)))})
    dimension, _, value = (picked or "").partition(":")
    if not value:
        dimension, value = TOTAL_DIMENSION, TOTAL_VALUE
    return Filters(grain, pd.Timestamp(chosen) if chosen else None, dimension, value)


def follow_grain(key: str, grain: str, options: list[str]) -> None:
    """After the grain changes, keep looking at the same time: the new grain's period that holds it."""
    before = st.session_state.get(f"_{key}_grain")
    st.session_state[f"_{key}_grain"] = grain
    picked = st.session_state.get(key)
    if not isinstance(picked, str) or (before == grain and picked in options):
        return
    mapped = containing_period(picked, before if isinstance(before, str) else None, options)
    if mapped is not None:
        st.session_state[key] = mapped


def containing_period(start: str, grain: str | None, options: list[str]) -> str | None:
    """The latest of `options` (ISO first days) that starts inside the period `start` of `grain`.

    A month maps to its quarter, a quarter to its last month, a month to its last week; a period
    of an unknown grain to the one holding its first day.
    """
    first = pd.Timestamp(start)
    end = first + _STEPS[grain] if grain in _STEPS else first + pd.Timedelta(days=1)
    inside = [option for option in options if pd.Timestamp(option) < end]
    return max(inside, key=pd.Timestamp) if inside else None


_STEPS = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}


def seed_from_url(key: str, options: list[str] | tuple[str, ...]) -> None:
    """Start a widget from the URL's `key=` when the session has no value yet and the URL's is valid.

    (Streamlit's own `bind="query-params"` drops the other pages' parameters under st.navigation,
    so links such as ?kpi=nps&grain=quarter would lose their KPI; this keeps them all.)
    """
    wanted = st.query_params.get(key)
    # Only a URL that changed from outside (a shared link, a click on a KPI card) moves the widget;
    # after the person picks a value, the URL still shows the old one until it is published.
    if wanted in options and wanted != st.session_state.get(f"_url_{key}"):
        st.session_state[key] = wanted
        st.session_state[f"_url_{key}"] = wanted


def publish_to_url(values: dict[str, tuple[str | None, str | None]]) -> None:
    """Put each (value, default) in the URL, leaving defaults out to keep links short."""
    for key, (value, default) in values.items():
        shown = None if value is None or value == default else value
        st.session_state[f"_url_{key}"] = shown
        if shown is None:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != shown:
            st.query_params[key] = shown


def _slices() -> dict[str, str]:
    """URL value -> label, for the whole company and every dimension value."""
    found = data.dimension_values()
    slices = {"": WHOLE} if data.scope().slice is None else {}
    for dimension, value in zip(found["dimension"], found["dimension_value"], strict=True):
        slices[f"{dimension}:{value}"] = f"{fmt.label(dimension)}: {value}"
    return slices or {"": WHOLE}


def current() -> Filters:
    """The filters drawn by the dashboard's entry script for this run."""
    found = st.session_state.get("_filters")
    return found if isinstance(found, Filters) else Filters("month", None)


def remember(filters: Filters) -> Filters:
    st.session_state["_filters"] = filters
    return filters
