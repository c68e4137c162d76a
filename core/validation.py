"""`validate`: every problem in config.yaml and the KPI files, found without changing anything."""

from __future__ import annotations

from core.config import AppConfig
from core.database import read_only
from core.errors import CxKpiError, Problem
from kpis.compile import PeriodSettings, compile_kpi
from kpis.compute import table_columns
from kpis.definitions import load_definitions


def validate_project(config: AppConfig) -> tuple[list[Problem], int]:
    """Parse every KPI file and, when the database exists, compile each against its table."""
    catalog = load_definitions(config.kpi_definitions)
    problems = list(catalog.problems)
    if config.database.is_file():
        periods = PeriodSettings(timezone=config.timezone, week_start=config.week_start)
        with read_only(config.database) as con:
            for definition in catalog.definitions:
                try:
                    compile_kpi(definition, table_columns(con, definition.spec.table), periods)
                except CxKpiError as err:
                    problems.extend(err.problems)
    return problems, len(catalog.definitions) + len({p.subject for p in catalog.problems})
