"""`config.yaml`: where the database lives, which sources feed it, where the KPIs are defined."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from connectors.registry import SourceSpec
from core.access import AccessSpec
from core.errors import ConfigError, Problem
from core.spec import Identifier, Spec
from core.yamlspec import load_spec
from kpis.highlights import VoiceSpec

CONFIG_ENV = "CXKPI_CONFIG"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class ConfigSpec(Spec):
    """The contents of config.yaml, as written (paths still relative to the file)."""

    database: Path = Field(default=Path("data/cx.duckdb"), description="The DuckDB file the dashboard reads.")
    kpi_definitions: Path = Field(
        default=Path("kpis/definitions"), description="Folder of KPI files, one YAML per KPI."
    )
    timezone: str = Field(default="UTC", description="Time zone that periods are counted in.")
    week_start: Weekday = Field(default="monday", description="First day of a reporting week.")
    sources: dict[Identifier, SourceSpec] = Field(default_factory=dict)
    access: AccessSpec = Field(default_factory=AccessSpec, description="Sign-in and who may see what.")
    voice: VoiceSpec | None = Field(default=None, description="Responses whose comments are read and wins shown.")
    annotations: Path | None = Field(default=None, description="YAML file of events marked on KPI trends.")
    memory_limit: str | None = Field(
        default=None,
        description="Most memory DuckDB may use during a refresh, e.g. '2GB' (unset: DuckDB's default, 80% of RAM). "
        "Past it, large loads, sorts and aggregates spill to a folder next to the database.",
    )

    @field_validator("memory_limit")
    @classmethod
    def _memory_size(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip()):
            raise ValueError("is not a memory size; write a number and a unit, e.g. '1GB' or '512MB'")
        return None if value is None else value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError("is not a time zone name; use an IANA name such as 'Europe/London' or 'UTC'") from err
        return value


@dataclass(frozen=True)
class AppConfig:
    """config.yaml with every path resolved against the folder the file is in."""

    file: Path
    spec: ConfigSpec

    @property
    def root(self) -> Path:
        return self.file.parent

    @property
    def database(self) -> Path:
        return self.resolve(self.spec.database)

    @property
    def kpi_definitions(self) -> Path:
        return self.resolve(self.spec.kpi_definitions)

    @property
    def annotations(self) -> Path | None:
        return self.resolve(self.spec.annotations) if self.spec.annotations else None

    @property
    def timezone(self) -> str:
        return self.spec.timezone

    @property
    def week_start(self) -> int:
        """0 for Monday .. 6 for Sunday."""
        return WEEKDAYS.index(self.spec.week_start)

    def resolve(self, path: Path | str) -> Path:
        path = Path(path)
        return path if path.is_absolute() else self.root / path


def config_path(explicit: Path | str | None = None) -> Path:
    """The config file to use: the one given, else $CXKPI_CONFIG, else the bundled one."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: Path | str | None = None) -> AppConfig:
    """Read and validate config.yaml; raise `ConfigError` listing every problem in it."""
    file = config_path(path).resolve()
    if not file.is_file():
        raise ConfigError(
            Problem(
                "configuration file not found",
                file=file,
                fix=f"create it (see README.md) or point ${CONFIG_ENV} at an existing one",
            )
        )
    spec, problems = load_spec(ConfigSpec, file, subject="config")
    if spec is None:
        raise ConfigError(problems)
    return AppConfig(file=file, spec=spec)
