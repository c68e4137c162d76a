"""What every KPI file may say, whatever its `type:`. Each type adds its own fields in kpis/measures/."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, EmailStr, Field, model_validator

from core.spec import Identifier, Spec
from kpis.fragments import FragmentError, parse_condition

Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
Band = tuple[int, int]


def _condition(text: str) -> str:
    try:
        parse_condition(text)
    except FragmentError as err:
        raise ValueError(str(err)) from err
    return text


SqlCondition = Annotated[str, AfterValidator(_condition)]
"""A user-written SQL condition or value, checked against the allow-list when the file is read."""


class Contact(Spec):
    """A person accountable for a KPI."""

    name: str
    email: EmailStr | None = None
    team: str | None = None


class Target(Spec):
    """A target value in force from a date until the next target's date."""

    value: float
    starts: date = Field(alias="from", description="First day this target is in force.")


class StatusRule(Spec):
    """How a value compares with its target: on target (green), at risk (amber) or off target (red).

    The amber zone is measured from the target, in the KPI's own units (`amber_within`) or as a
    percentage of the target (`amber_within_percent`); beyond it a value is off target.
    """

    amber_within: float | None = Field(default=None, ge=0)
    amber_within_percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_rule(self) -> StatusRule:
        if self.amber_within is not None and self.amber_within_percent is not None:
            raise ValueError("give either amber_within or amber_within_percent, not both")
        return self

    def amber_margin(self, target: float) -> float:
        """How far short of `target` a value may fall and still be 'at risk'."""
        if self.amber_within_percent is not None:
            return abs(target) * self.amber_within_percent / 100
        return self.amber_within or 0.0


class DisplayFormat(Spec):
    decimals: int = Field(default=1, ge=0, le=4)
    unit: str = Field(default="", description="Shown after the value, e.g. '%' or ' h'.")


class DefinitionTest(Spec):
    """A test case carried by a KPI file: given these rows, the total over them is this value.

    `rows` is a list of rows of the KPI's table, or a mapping of table name to rows for KPIs that
    read several tables. `expect` holds the expected `value` and optionally `n`, `positive`, ...
    """

    name: str
    rows: list[dict[str, Any]] | dict[Identifier, list[dict[str, Any]]]
    expect: dict[Identifier, float | None]
    period: date | None = Field(default=None, description="Check this period; default: the only one.")
    grain: Grain | None = None


class KpiBase(Spec):
    """Fields every KPI has, whatever its type."""

    type: str = Field(description="KPI type; each subclass narrows it to its own literal.")
    name: Identifier
    display_name: str
    description: str = Field(description="What it means and why it matters, for the glossary.")
    category: Literal["customer", "employee", "operations"] = "customer"
    dimensions: tuple[Identifier, ...] = Field(default=(), description="Columns it may be broken down by.")
    grains: tuple[Grain, ...] = ("month",)
    window_days: int | None = Field(default=None, ge=1, le=3660, description="Trailing window, e.g. 90-day NPS.")
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    targets: tuple[Target, ...] = ()
    status: StatusRule = StatusRule()
    owner: Contact
    backup: Contact | None = None
    escalation: Contact | None = None
    owners: dict[Identifier, dict[str, Contact]] = Field(
        default_factory=dict, description="Owner per dimension value, e.g. region: {EMEA: {name: ...}}."
    )
    min_n: int = Field(default=30, ge=1, description="Below this sample size a value is flagged.")
    anonymity_min: int | None = Field(default=None, ge=2, description="Groups smaller than this show no score.")
    format: DisplayFormat = DisplayFormat()
    tests: tuple[DefinitionTest, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> KpiBase:
        starts = [target.starts for target in self.targets]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("targets must be listed in order of their 'from' dates, each date once")
        if len(set(self.grains)) != len(self.grains) or not self.grains:
            raise ValueError("grains must list each grain once, at least one")
        unknown = sorted(set(self.owners) - set(self.dimensions))
        if unknown:
            raise ValueError(
                f"owners are given for {unknown}, which are not among the dimensions {list(self.dimensions)}"
            )
        return self

    def target_on(self, day: date) -> float | None:
        """The target in force on `day`: the last one whose 'from' is on or before it."""
        value = None
        for target in self.targets:
            if target.starts <= day:
                value = target.value
        return value


class SingleTableKpi(KpiBase):
    """A KPI computed from the rows of one table, each counted in the period of its time column."""

    table: Identifier = Field(description="Table the rows come from, e.g. feedback.")
    time_column: Identifier = Field(description="Each row counts in the period of this time.")
    filter: SqlCondition | None = Field(default=None, description="SQL condition selecting the rows.")


def check_band(label: str, band: Band, scale: Band) -> None:
    """Raise ValueError unless `band` is an ordered range inside `scale`."""
    low, high = scale
    start, end = band
    if low > high:
        raise ValueError(f"scale {low}..{high} must go from low to high")
    if start > end or start < low or end > high:
        raise ValueError(f"{label} band {start}..{end} must lie within the scale {low}..{high}")
