"""`validate`: every problem in config.yaml and the KPI files, found without changing anything."""

from __future__ import annotations

from core.config import AppConfig
from core.database import read_only
from core.definition_tests import run_definition_tests
from core.errors import CxKpiError, DatabaseError, KpiDefinitionError, Problem
from kpis.compile import PeriodSettings, compile_kpi
from kpis.compute import raw_schema
from kpis.definitions import load_definitions


def validate_project(config: AppConfig) -> tuple[list[Problem], int]:
    """Parse every KPI file, run the test cases each carries, and when the database exists, compile each
    against the loaded tables."""
    catalog = load_definitions(config.kpi_definitions)
    problems = list(catalog.problems)
    periods = PeriodSettings(timezone=config.timezone, week_start=config.week_start)
    for definition in catalog.definitions:
        problems.extend(run_definition_tests(definition, periods))
    if config.database.is_file():
        with read_only(config.database) as con:
            schema = raw_schema(con)
            for definition in catalog.definitions:
                try:
                    compile_kpi(definition, schema, periods)
                except CxKpiError as err:
                    problems.extend(err.problems)
    return problems, len(catalog.definitions) + len({p.subject for p in catalog.problems})


def kpi_sql(config: AppConfig, name: str) -> str:
    """The query a KPI runs, compiled against the loaded tables (or raise with what is wrong)."""
    catalog = load_definitions(config.kpi_definitions)
    definition = catalog.get(name)
    if definition is None:
        mine = [p for p in catalog.problems if p.subject == name]
        if mine:
            raise KpiDefinitionError(mine)
        known = ", ".join(d.name for d in catalog.definitions) or "none"
        raise KpiDefinitionError(Problem(f"no KPI called {name!r}", fix=f"KPIs defined: {known}"))
    if not config.database.is_file():
        raise DatabaseError(
            Problem("there is no database yet", file=config.database, fix="run `python cli.py refresh` first")
        )
    periods = PeriodSettings(timezone=config.timezone, week_start=config.week_start)
    with read_only(config.database) as con:
        schema = raw_schema(con)
    return compile_kpi(definition, schema, periods).sql
