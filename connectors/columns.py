"""How a source's columns map onto a table: names, types and the checks each value must pass."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.spec import Spec

ColumnType = Literal["varchar", "integer", "double", "boolean", "date", "timestamp"]

DUCKDB_TYPES: dict[str, str] = {
    "varchar": "VARCHAR",
    "integer": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    # A point in time. Values without an offset are read in the source's time zone.
    "timestamp": "TIMESTAMPTZ",
}


class ColumnSpec(Spec):
    """One column of the target table and where it comes from in the export."""

    source: str | None = Field(
        default=None,
        alias="from",
        description="Column name in the export; defaults to the target column's name.",
    )
    type: ColumnType = "varchar"
    min: float | None = Field(default=None, description="Smallest valid value (inclusive).")
    max: float | None = Field(default=None, description="Largest valid value (inclusive).")
    allowed: tuple[str, ...] | None = Field(default=None, description="The only valid values.")
    required: bool = Field(default=False, description="Reject rows where this is blank.")
    description: str | None = Field(
        default=None, description="What the column means, stored as its comment for analysts."
    )
    formats: tuple[str, ...] | None = Field(
        default=None,
        description="strptime formats of a date or timestamp written as text, tried in order "
        "(e.g. ['%d/%m/%Y %H:%M', '%Y-%m-%dT%H:%M:%S%z']).",
    )

    @model_validator(mode="after")
    def _range_is_ordered(self) -> ColumnSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        if (self.min is not None or self.max is not None) and self.type not in ("integer", "double"):
            raise ValueError("min and max apply to integer or double columns only")
        if self.formats is not None and self.type not in ("date", "timestamp"):
            raise ValueError("formats apply to date or timestamp columns only")
        return self

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    def source_name(self, target: str) -> str:
        return self.source if self.source is not None else target

    def comment(self, target: str, source: str) -> str:
        """The column's comment in the database: its meaning, where it comes from and its checks."""
        rules: list[str] = [self.type]
        if self.required:
            rules.append("required")
        if self.min is not None or self.max is not None:
            low = "" if self.min is None else f"{self.min:g}"
            high = "" if self.max is None else f"{self.max:g}"
            rules.append(f"valid {low}..{high}")
        if self.allowed is not None:
            rules.append("one of " + ", ".join(self.allowed))
        origin = f"From {self.source_name(target)!r} in source {source!r} ({'; '.join(rules)})."
        return f"{self.description.rstrip('.')}. {origin}" if self.description else origin
