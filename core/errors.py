"""One error family for everything a user can get wrong.

Every problem names where it was found (file and line), what it concerns (a KPI, a source) and how
to fix it. Code collects problems and raises them together, so that a user fixes a file in one
pass instead of one error per run. The CLI and the dashboard each turn these into a message in
exactly one place; nobody ever sees a traceback for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """A single thing that is wrong, with enough context to fix it."""

    message: str
    file: Path | None = None
    line: int | None = None
    subject: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{_display_path(self.file)}:{self.line}" if self.line else _display_path(self.file)
            where += " "
        subject = f"[{self.subject}] " if self.subject else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"{where}{subject}{self.message}{fix}"


class CxKpiError(Exception):
    """Base class of every error meant for a user rather than a developer."""

    def __init__(self, problems: Iterable[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = Problem(problems)
        self.problems: tuple[Problem, ...] = (problems,) if isinstance(problems, Problem) else tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(CxKpiError):
    """config.yaml is missing, malformed or inconsistent."""


class KpiDefinitionError(CxKpiError):
    """A KPI definition file is malformed or refers to something that does not exist."""


class ConnectorError(CxKpiError):
    """A source could not be read: missing file, unreadable encoding, unreachable server..."""


class DatabaseError(CxKpiError):
    """The DuckDB file is missing, locked or corrupt."""


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
