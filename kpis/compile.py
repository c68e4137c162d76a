"""Compile a KPI definition into one DuckDB query, built as a sqlglot syntax tree.

The query scans the KPI's table once and aggregates, with GROUPING SETS, every grain the KPI
reports and every dimension it may be broken down by, plus the total. Each output row is one
(grain, period, dimension, dimension value) with the measure's sufficient statistics.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlglot import exp

from core.errors import KpiDefinitionError, Problem
from kpis.definitions import KpiDefinition
from kpis.fragments import columns_of, parse_condition
from kpis.measures import measure_for
from kpis.spec import Grain, KpiBase

RAW_SCHEMA = "raw"
TOTAL_DIMENSION = "total"
TOTAL_VALUE = "Total"
BLANK_VALUE = "(blank)"
_TIME_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "DATE")


@dataclass(frozen=True)
class PeriodSettings:
    """How time is cut into periods: the reporting time zone and the first day of the week."""

    timezone: str = "UTC"
    week_start: int = 0  # 0 = Monday .. 6 = Sunday


@dataclass(frozen=True)
class CompiledKpi:
    definition: KpiDefinition
    query: exp.Select

    @property
    def sql(self) -> str:
        return self.query.sql(dialect="duckdb", pretty=True)


def compile_kpi(
    definition: KpiDefinition,
    table_columns: dict[str, str] | None,
    periods: PeriodSettings,
) -> CompiledKpi:
    """Build the query; raise KpiDefinitionError naming every column or table that is wrong.

    `table_columns` maps the table's column names to DuckDB types, or is None if the table has
    not been loaded.
    """
    spec = definition.spec
    if table_columns is None:
        raise KpiDefinitionError(
            definition.problem(
                ("table",),
                f"table {spec.table!r} has not been loaded",
                "add a source with 'table: " + spec.table + "' to config.yaml and run a refresh",
            )
        )
    _check_columns(definition, table_columns)
    measure = measure_for(spec.type)
    time_type = table_columns[spec.time_column]
    rows = exp.select(
        *(exp.alias_(_period(g, spec.time_column, time_type, periods), f"period_{g}") for g in spec.grains),
        *(exp.column(d, quoted=True) for d in spec.dimensions),
        *(exp.alias_(exp.column(c, quoted=True), alias) for alias, c in measure.columns(spec).items()),
    ).from_(exp.table_(exp.to_identifier(spec.table, quoted=True), db=exp.to_identifier(RAW_SCHEMA)))
    rows = rows.where(exp.Not(this=exp.Is(this=exp.column(spec.time_column, quoted=True), expression=exp.null())))
    if spec.filter is not None:
        rows = rows.where(exp.Paren(this=parse_condition(spec.filter)))
    query = exp.select(
        _grain_label(spec),
        exp.alias_(
            exp.Coalesce(
                this=exp.column(f"period_{spec.grains[0]}"),
                expressions=[exp.column(f"period_{g}") for g in spec.grains[1:]],
            ),
            "period_start",
        ),
        *_dimension_labels(spec),
        *(exp.alias_(aggregate, name) for name, aggregate in measure.aggregates(spec).items()),
    ).from_(exp.alias_(exp.Subquery(this=rows), "kpi_rows"))
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=_grouping_sets(spec))]))
    return CompiledKpi(definition, query)


def _period(grain: Grain, column: str, column_type: str, periods: PeriodSettings) -> exp.Expr:
    """The first day of the period a time value belongs to, in the reporting time zone."""
    value: exp.Expr = exp.column(column, quoted=True)
    if column_type == "TIMESTAMP WITH TIME ZONE":
        value = exp.func("timezone", exp.Literal.string(periods.timezone), value, dialect="duckdb")
    elif column_type == "DATE":
        value = exp.cast(value, "TIMESTAMP")
    if grain == "day":
        return exp.cast(value, "DATE")
    if grain == "week" and periods.week_start:
        shift = exp.Interval(this=exp.Literal.string(str(periods.week_start)), unit=exp.var("DAY"))
        shifted = exp.Sub(this=value, expression=shift)
        start = exp.Add(
            this=exp.func("date_trunc", exp.Literal.string("week"), shifted, dialect="duckdb"), expression=shift.copy()
        )
        return exp.cast(start, "DATE")
    return exp.cast(exp.func("date_trunc", exp.Literal.string(grain), value, dialect="duckdb"), "DATE")


def _grouped(column: str) -> exp.Expr:
    """True in the output rows where `column` is one of the grouping keys."""
    return exp.EQ(this=exp.func("grouping", exp.column(column, quoted=True)), expression=exp.Literal.number(0))


def _grain_label(spec: KpiBase) -> exp.Expr:
    case = exp.Case()
    for grain in spec.grains:
        case = case.when(_grouped(f"period_{grain}"), exp.Literal.string(grain))
    return exp.alias_(case, "grain")


def _dimension_labels(spec: KpiBase) -> list[exp.Expr]:
    name = exp.Case()
    value = exp.Case()
    for dimension in spec.dimensions:
        text = exp.Coalesce(
            this=exp.cast(exp.column(dimension, quoted=True), "VARCHAR"), expressions=[exp.Literal.string(BLANK_VALUE)]
        )
        name = name.when(_grouped(dimension), exp.Literal.string(dimension))
        value = value.when(_grouped(dimension), text)
    name = name.else_(exp.Literal.string(TOTAL_DIMENSION))
    value = value.else_(exp.Literal.string(TOTAL_VALUE))
    return [exp.alias_(name, "dimension"), exp.alias_(value, "dimension_value")]


def _grouping_sets(spec: KpiBase) -> list[exp.Expr]:
    sets: list[exp.Expr] = []
    for grain in spec.grains:
        period = exp.column(f"period_{grain}")
        sets.append(exp.Tuple(expressions=[period]))
        for dimension in spec.dimensions:
            sets.append(exp.Tuple(expressions=[period.copy(), exp.column(dimension, quoted=True)]))
    return sets


def _check_columns(definition: KpiDefinition, table_columns: dict[str, str]) -> None:
    spec = definition.spec
    measure = measure_for(spec.type)
    wanted: list[tuple[tuple[str | int, ...], str]] = [(("time_column",), spec.time_column)]
    fields = {column: key for key, column in _spec_column_fields(spec, measure.columns(spec))}
    wanted += [((key,), column) for column, key in fields.items()]
    wanted += [(("dimensions", i), d) for i, d in enumerate(spec.dimensions)]
    if spec.filter is not None:
        wanted += [(("filter",), c) for c in sorted(columns_of(parse_condition(spec.filter)))]
    problems: list[Problem] = []
    for key, column in wanted:
        if column not in table_columns:
            close = difflib.get_close_matches(column, list(table_columns), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"columns: {', '.join(sorted(table_columns))}"
            problems.append(definition.problem(key, f"{key[0]}: column {column!r} not in table {spec.table!r}", hint))
    time_type = table_columns.get(spec.time_column)
    if time_type is not None and time_type not in _TIME_TYPES:
        problems.append(
            definition.problem(
                ("time_column",),
                f"time_column {spec.time_column!r} is {time_type}",
                "choose a timestamp or date column",
            )
        )
    if problems:
        raise KpiDefinitionError(problems)


def _spec_column_fields(spec: KpiBase, columns: dict[str, str]) -> list[tuple[str, str]]:
    """(spec field, column) for the measure's columns, so errors can point at the right key."""
    values = spec.model_dump()
    return [(next((k for k, v in values.items() if v == column), "name"), column) for column in columns.values()]
