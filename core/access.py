"""Who may see what: roles mapped from a signed-in person's e-mail, set in config.yaml.

Sign-in itself is Streamlit's (OpenID Connect, `st.login`, configured in .streamlit/secrets.toml);
this module only decides, from an e-mail address, which pages a person may open and which
dimension values of the data they may see. The data-access layer applies the row rule to every
read, so hiding a page is never the only protection.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from core.spec import Identifier, Spec

PAGES = ("scorecard", "kpi", "accountability", "close_the_loop", "employees", "voice", "data_health")
"""The dashboard's pages, by the names roles use."""

Page = Literal["scorecard", "kpi", "accountability", "close_the_loop", "employees", "voice", "data_health"]


class RoleSpec(Spec):
    """What one role may see."""

    pages: tuple[Page, ...] | Literal["all"] = Field(default="all", description="Pages this role may open.")
    rows: dict[Identifier, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Only these values of one dimension, e.g. region: [EMEA]. Data without it is hidden.",
        max_length=1,
    )


class AccessSpec(Spec):
    """`access:` in config.yaml. Off by default: everyone who can reach the server sees everything."""

    sign_in: bool = Field(default=False, description="Require sign-in through OpenID Connect (st.login).")
    provider: Identifier | None = Field(default=None, description="Named provider in secrets.toml [auth.<name>].")
    roles: dict[Identifier, RoleSpec] = Field(default_factory=dict)
    users: dict[str, Identifier] = Field(
        default_factory=dict, description="E-mail (or pattern such as *@example.com) -> role. First match wins."
    )
    default_role: Identifier | None = Field(default=None, description="Role of a signed-in person not listed.")

    @model_validator(mode="after")
    def _roles_exist(self) -> AccessSpec:
        named = [*self.users.values(), *([self.default_role] if self.default_role else [])]
        unknown = sorted(set(named) - set(self.roles))
        if unknown:
            raise ValueError(f"users refer to roles that are not defined: {unknown}; define them under roles:")
        if self.sign_in and not self.roles:
            raise ValueError("sign_in needs at least one role and the users who have it")
        return self


@dataclass(frozen=True)
class Scope:
    """The slice of the data a viewer may see: allowed values per dimension (empty: everything)."""

    rows: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def unrestricted(self) -> bool:
        return not self.rows

    def key(self) -> str:
        """A stable text for cache keys."""
        return ";".join(f"{d}={','.join(sorted(v))}" for d, v in sorted(self.rows.items()))

    @property
    def slice(self) -> tuple[str, str] | None:
        """The one (dimension, value) a viewer restricted to a single value sees as their 'total'."""
        if len(self.rows) == 1:
            ((dimension, values),) = self.rows.items()
            if len(values) == 1:
                return dimension, next(iter(values))
        return None

    def kpi_rows(self) -> tuple[str, list[object]]:
        """A condition on kpi tables (with `dimension`, `dimension_value`) keeping what this scope may see.

        A restricted viewer sees only the breakdown by their dimension, and only their values: the
        total and other breakdowns include other people's data.
        """
        if self.unrestricted:
            return "TRUE", []
        ((dimension, values),) = self.rows.items()
        return "(dimension = ? AND list_contains(?, dimension_value))", [dimension, sorted(values)]

    def raw_rows(self, columns: set[str]) -> tuple[str, list[object]]:
        """A condition on a raw table with `columns`: its own values only, or nothing if it lacks the column."""
        if self.unrestricted:
            return "TRUE", []
        ((dimension, values),) = self.rows.items()
        if dimension not in columns:
            return "FALSE", []
        return f'list_contains(?, "{dimension}")', [sorted(values)]


EVERYTHING = Scope()


@dataclass(frozen=True)
class Viewer:
    """A person using the dashboard, with what they may open and see."""

    email: str | None
    role: str | None
    pages: frozenset[str]
    scope: Scope

    def may_open(self, page: str) -> bool:
        return page in self.pages


OPEN_ACCESS = Viewer(email=None, role=None, pages=frozenset(PAGES), scope=EVERYTHING)


def viewer_for(access: AccessSpec, email: str | None) -> Viewer | None:
    """The viewer an e-mail address signs in as, or None when it has no role (refused)."""
    if not access.sign_in:
        return OPEN_ACCESS
    if not email:
        return None
    role = next(
        (name for pattern, name in access.users.items() if fnmatch.fnmatchcase(email.lower(), pattern.lower())),
        access.default_role,
    )
    if role is None:
        return None
    spec = access.roles[role]
    pages = frozenset(PAGES if spec.pages == "all" else spec.pages)
    scope = Scope({dimension: frozenset(values) for dimension, values in spec.rows.items()})
    return Viewer(email=email, role=role, pages=pages, scope=scope)
