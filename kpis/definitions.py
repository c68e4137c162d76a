"""Read the folder of KPI files: every file parsed, every problem collected, none fatal to others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import RootModel

from core.errors import Problem
from core.yamlspec import LineMap, YamlSyntaxError, load_yaml, validate
from kpis.measures import KpiSpec
from kpis.spec import KpiBase


class KpiFile(RootModel[KpiSpec]):
    """One KPI file: a spec of whichever `type:` it names."""


@dataclass(frozen=True)
class KpiDefinition:
    """A parsed KPI with where it came from, so later problems can point at the right line."""

    spec: KpiBase
    file: Path
    lines: LineMap
    text: str

    @property
    def name(self) -> str:
        return self.spec.name

    def problem(self, key: Sequence[str | int], message: str, fix: str | None = None) -> Problem:
        return Problem(message, self.file, self.lines.line_of(tuple(key)), self.name, fix)


@dataclass(frozen=True)
class KpiCatalog:
    """The KPIs that parsed, and the problems of those that did not."""

    definitions: tuple[KpiDefinition, ...]
    problems: tuple[Problem, ...]

    def get(self, name: str) -> KpiDefinition | None:
        return next((d for d in self.definitions if d.name == name), None)


def load_definitions(folder: Path) -> KpiCatalog:
    """Parse every *.yaml file in `folder`; a broken file is reported, the others still load."""
    if not folder.is_dir():
        return KpiCatalog(
            (),
            (
                Problem(
                    f"KPI folder not found: {folder}",
                    fix="set 'kpi_definitions:' in config.yaml to a folder of KPI files",
                ),
            ),
        )
    definitions: list[KpiDefinition] = []
    problems: list[Problem] = []
    for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        definition, found = load_definition(file)
        problems.extend(found)
        if definition is None:
            continue
        clash = next((d for d in definitions if d.name == definition.name), None)
        if clash is not None:
            problems.append(
                definition.problem(
                    ("name",),
                    f"the name {definition.name!r} is already used by {clash.file.name}",
                    "give every KPI its own name",
                )
            )
            continue
        definitions.append(definition)
    return KpiCatalog(tuple(definitions), tuple(problems))


def load_definition(file: Path) -> tuple[KpiDefinition | None, list[Problem]]:
    """Parse and validate one KPI file, including its SQL fragments (checked by the spec's types)."""
    try:
        data, lines = load_yaml(file)
    except YamlSyntaxError as err:
        return None, [err.problem]
    subject = _subject(data, file)
    if not isinstance(data, dict):
        return None, [Problem("a KPI file must be a set of 'key: value' lines", file, 1, subject)]
    parsed, problems = validate(KpiFile, data, file=file, lines=lines, subject=subject)
    if parsed is None:
        return None, problems
    return KpiDefinition(parsed.root, file, lines, file.read_text(encoding="utf-8")), []


def _subject(data: Any, file: Path) -> str:
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return str(data["name"])
    return file.stem
