"""Run the test cases a KPI file carries: given rows, the expected value, on a scratch DuckDB."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import duckdb
import pandas as pd

from core.errors import CxKpiError, Problem
from kpis.compile import RAW_SCHEMA, TOTAL_DIMENSION, PeriodSettings, compile_kpi
from kpis.compute import compute_values, raw_schema
from kpis.definitions import KpiDefinition
from kpis.measures import measure_for
from kpis.spec import DefinitionTest


def run_definition_tests(definition: KpiDefinition, periods: PeriodSettings) -> list[Problem]:
    """Every failing expectation of every test case in the file, as problems pointing at its line."""
    problems: list[Problem] = []
    for index, case in enumerate(definition.spec.tests):
        problems.extend(_run(definition, index, case, periods))
    return problems


def _run(definition: KpiDefinition, index: int, case: DefinitionTest, periods: PeriodSettings) -> list[Problem]:
    where = ("tests", index)
    # A test checks the total: its rows need not carry the breakdown columns.
    definition = replace(definition, spec=definition.spec.model_copy(update={"dimensions": (), "owners": {}}))
    with duckdb.connect() as con:
        con.execute("SET TimeZone = ?", [periods.timezone])
        con.execute(f"CREATE SCHEMA {RAW_SCHEMA}")
        try:
            _create_tables(con, definition, case)
            values = compute_values(con, compile_kpi(definition, raw_schema(con), periods), "definition-test")
        except (CxKpiError, duckdb.Error) as err:
            message = err.problems[0].message if isinstance(err, CxKpiError) else str(err).splitlines()[0]
            return [definition.problem(where, f"test {case.name!r} could not run: {message}", "check its rows")]
    grain = case.grain or definition.spec.grains[0]
    rows = values[(values["grain"] == grain) & (values["dimension"] == TOTAL_DIMENSION)]
    if case.period is not None:
        rows = rows[pd.to_datetime(rows["period_start"]).dt.date == case.period]
    if len(rows) != 1:
        return [
            definition.problem(
                where,
                f"test {case.name!r}: its rows fall in {len(rows)} {grain} periods, not one",
                "give 'period:' (the first day of the period to check)",
            )
        ]
    row = rows.iloc[0]
    problems = []
    for key, expected in case.expect.items():
        if key not in row.index:
            problems.append(
                definition.problem((*where, "expect", key), f"test {case.name!r}: no result called {key!r}")
            )
            continue
        actual = _number(row[key])
        if not _matches(actual, expected):
            problems.append(
                definition.problem(
                    (*where, "expect", key),
                    f"test {case.name!r}: {key} is {_shown(actual)}, expected {_shown(expected)}",
                    "fix the definition, or the expectation if the definition is right",
                )
            )
    return problems


def _create_tables(con: duckdb.DuckDBPyConnection, definition: KpiDefinition, case: DefinitionTest) -> None:
    spec = definition.spec
    sources = measure_for(spec.type).sources(spec)
    tables = case.rows if isinstance(case.rows, dict) else {sources[0].table: case.rows}
    time_columns = {(s.table, s.time_column) for s in sources}
    for table, rows in tables.items():
        frame = pd.DataFrame(rows)
        con.register("_definition_test_rows", frame)
        con.execute(f'CREATE TABLE {RAW_SCHEMA}."{table}" AS SELECT * FROM _definition_test_rows')
        con.unregister("_definition_test_rows")
        for column in frame.columns:
            if (table, column) in time_columns:
                name = f'{RAW_SCHEMA}."{table}"'
                con.execute(
                    f'ALTER TABLE {name} ALTER "{column}" TYPE TIMESTAMPTZ USING CAST("{column}" AS TIMESTAMPTZ)'
                )


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _matches(actual: float | None, expected: float | None) -> bool:
    """Equal to the precision the expectation is written with (33.3 matches 33.333...)."""
    if actual is None or expected is None:
        return actual is None and expected is None
    text = repr(float(expected))
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 6
    return round(actual, decimals) == round(expected, decimals)


def _shown(value: float | None) -> str:
    return "no value" if value is None else f"{value:.6g}"
