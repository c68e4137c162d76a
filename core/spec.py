"""The base of every spec read from YAML: frozen, typed, and strict about unknown keys."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class Spec(BaseModel):
    """A frozen pydantic model that refuses keys it does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError("must be a snake_case name: lower-case letters, digits and '_', starting with a letter")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
"""A table, column or KPI name: safe to use as a SQL identifier without quoting tricks."""
