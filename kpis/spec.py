"""What a KPI file may say. Each KPI `type:` is a spec class; shared fields live in `KpiBase`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import EmailStr, Field, model_validator

from core.spec import Identifier, Spec

Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")


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
    """How a value compares with its target: on target, at risk (amber) or off target (red)."""

    amber_within: float = Field(
        default=0.0,
        ge=0,
        description="A value this close to missing the target is 'at risk' rather than 'off target'.",
    )


class DisplayFormat(Spec):
    decimals: int = Field(default=1, ge=0, le=4)
    unit: str = Field(default="", description="Shown after the value, e.g. '%' or ' h'.")


class KpiBase(Spec):
    """Fields every KPI has, whatever its type."""

    type: str = Field(description="KPI type; each subclass narrows it to its own literal.")
    name: Identifier
    display_name: str
    description: str = Field(description="What it means and why it matters, for the glossary.")
    table: Identifier = Field(description="Table the rows come from, e.g. feedback.")
    time_column: Identifier = Field(description="Each row counts in the period of this time.")
    dimensions: tuple[Identifier, ...] = Field(default=(), description="Columns the KPI may be broken down by.")
    filter: str | None = Field(default=None, description="SQL condition on the table's columns selecting the rows.")
    grains: tuple[Grain, ...] = ("month",)
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    targets: tuple[Target, ...] = ()
    status: StatusRule = StatusRule()
    owner: Contact
    backup: Contact | None = None
    escalation: Contact | None = None
    min_n: int = Field(default=30, ge=1, description="Below this sample size a value is flagged.")
    format: DisplayFormat = DisplayFormat()

    @model_validator(mode="after")
    def _targets_in_order(self) -> KpiBase:
        starts = [target.starts for target in self.targets]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("targets must be listed in order of their 'from' dates, each date once")
        return self

    def target_on(self, day: date) -> float | None:
        """The target in force on `day`: the last one whose 'from' is on or before it."""
        value = None
        for target in self.targets:
            if target.starts <= day:
                value = target.value
        return value


class NpsSpec(KpiBase):
    """Net Promoter Score (and eNPS): 100 x (promoters - detractors) / valid answers."""

    type: Literal["nps"]
    score: Identifier = Field(description="Column holding the 0-10 answer.")
    promoters: tuple[int, int] = Field(default=(9, 10), description="Inclusive band of promoters.")
    detractors: tuple[int, int] = Field(default=(0, 6), description="Inclusive band of detractors.")
    scale: tuple[int, int] = Field(default=(0, 10), description="Valid answers; others are invalid.")
    format: DisplayFormat = DisplayFormat(decimals=0)

    @model_validator(mode="after")
    def _bands_fit_the_scale(self) -> NpsSpec:
        low, high = self.scale
        for label, (start, end) in (("promoters", self.promoters), ("detractors", self.detractors)):
            if start > end or start < low or end > high:
                raise ValueError(f"{label} band {start}..{end} must lie within the scale {low}..{high}")
        if not self.detractors[1] < self.promoters[0]:
            raise ValueError("detractors must all score below promoters")
        return self


KpiSpec = Annotated[NpsSpec, Field(discriminator="type")]
