"""Events to mark on KPI trends ("billing change", "loop programme launched"), in a YAML file ops edit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, RootModel

from core.errors import ConfigError
from core.spec import Identifier, Spec
from core.yamlspec import YamlSyntaxError, load_yaml, validate


class Annotation(Spec):
    """One event: the day it happened, what it was, and (optionally) which KPIs it concerns."""

    day: date = Field(alias="date", description="Day of the event.")
    text: str = Field(description="What happened, in a few words.")
    kpis: tuple[Identifier, ...] = Field(default=(), description="KPIs to mark; empty: all of them.")


class AnnotationsFile(RootModel[list[Annotation]]):
    """The annotations file: a list of events."""


def load_annotations(path: Path | None) -> tuple[Annotation, ...]:
    """Every event in the file (none when there is no file); a malformed file is a ConfigError."""
    if path is None or not path.is_file():
        return ()
    try:
        data, lines = load_yaml(path)
    except YamlSyntaxError as err:
        raise ConfigError(err.problem) from err
    parsed, problems = validate(AnnotationsFile, data or [], file=path, lines=lines, subject="annotations")
    if parsed is None:
        raise ConfigError(problems)
    return tuple(sorted(parsed.root, key=lambda a: a.day))


def for_kpi(annotations: tuple[Annotation, ...], kpi: str) -> list[Annotation]:
    return [a for a in annotations if not a.kpis or kpi in a.kpis]
