"""A business-hours clock in SQL: elapsed business hours between two times, and a deadline.

The expressions walk the calendar days between the two times with DuckDB list lambdas, adding the
open hours of each working day that is not a holiday. Times are read as local times of the
session's time zone, which KPI computation sets to the reporting time zone.
"""

from __future__ import annotations

import math
from datetime import date, time
from typing import Literal

import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Spec

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ISO = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

# Open seconds on day `:first + i` for a case that started at `:s` (0 on closed days and holidays).
_DAY = "(CAST(:s AS DATE) + CAST(i AS INTEGER))"
_OPEN_ON_DAY = f"""
CASE WHEN list_contains(:days, isodow({_DAY})) AND NOT list_contains(:holidays, {_DAY})
THEN greatest(0, epoch(least(:e, {_DAY} + :closes)) - epoch(greatest(:s, {_DAY} + :opens)))
ELSE 0 END
"""


class BusinessHours(Spec):
    """Opening hours for a business-hours clock, in the reporting time zone."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: tuple[date, ...] = Field(default=(), description="Dates the clock does not run.")

    @model_validator(mode="after")
    def _opens_before_closing(self) -> BusinessHours:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        if not self.days:
            raise ValueError("give at least one working day")
        return self

    def describe(self) -> str:
        days = ", ".join(self.days)
        holidays = f", {len(self.holidays)} holiday(s) excluded" if self.holidays else ""
        return f"{self.opens:%H:%M}-{self.closes:%H:%M} on {days}{holidays}"

    def seconds_per_day(self) -> int:
        return (self.closes.hour * 60 + self.closes.minute - self.opens.hour * 60 - self.opens.minute) * 60


def _values(hours: BusinessHours, start: exp.Expr, end: exp.Expr) -> dict[str, exp.Expr]:
    return {
        "s": exp.cast(start, "TIMESTAMP"),
        "e": exp.cast(end, "TIMESTAMP"),
        "days": exp.Array(expressions=[exp.Literal.number(_ISO[d]) for d in hours.days]),
        "holidays": exp.cast(
            exp.Array(expressions=[exp.Literal.string(d.isoformat()) for d in hours.holidays]), "DATE[]"
        ),
        "opens": exp.cast(exp.Literal.string(hours.opens.isoformat()), "TIME"),
        "closes": exp.cast(exp.Literal.string(hours.closes.isoformat()), "TIME"),
    }


def business_hours_between(start: exp.Expr, end: exp.Expr, hours: BusinessHours) -> exp.Expr:
    """Business hours from `start` to `end` (NULL when either is NULL)."""
    template = f"""
    CASE WHEN :e IS NULL OR :s IS NULL THEN NULL ELSE
    list_sum(list_transform(range(0, date_diff('day', CAST(:s AS DATE), CAST(:e AS DATE)) + 1), i -> {_OPEN_ON_DAY}))
    / 3600.0 END
    """
    return exp.replace_placeholders(sqlglot.parse_one(template, dialect="duckdb"), **_values(hours, start, end))


def business_deadline(start: exp.Expr, sla_hours: float, hours: BusinessHours) -> exp.Expr:
    """The time when `sla_hours` business hours have run from `start`."""
    per_week = hours.seconds_per_day() * len(hours.days)
    horizon = 7 * math.ceil(sla_hours * 3600 / per_week) + 7 + 2 * len(hours.holidays)
    far = exp.Add(
        this=exp.cast(start.copy(), "TIMESTAMP"),
        expression=exp.Interval(this=exp.Literal.string(str(horizon + 1)), unit=exp.var("DAY")),
    )
    cumulative = f"list_sum(list_transform(range(0, d + 1), i -> {_OPEN_ON_DAY}))"
    template = f"""
    list_first(list_transform(
        list_filter(range(0, {horizon}), d -> {cumulative} >= :sla),
        d -> CAST(:s AS DATE) + CAST(d AS INTEGER) + :closes - to_seconds(CAST({cumulative} - :sla AS DOUBLE))
    ))
    """
    values = _values(hours, start, far)
    values["sla"] = exp.Literal.number(round(sla_hours * 3600))
    local = exp.replace_placeholders(sqlglot.parse_one(template, dialect="duckdb"), **values)
    # Added to the start as an interval, so the deadline keeps the start column's type and zone.
    return exp.Add(
        this=start.copy(),
        expression=exp.Paren(this=exp.Sub(this=local, expression=exp.cast(start.copy(), "TIMESTAMP"))),
    )
