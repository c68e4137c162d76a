"""Compile a KPI definition into one DuckDB query, built as a sqlglot syntax tree.

The query scans each table the KPI reads once and aggregates, with GROUPING SETS, every grain the
KPI reports and every dimension it may be broken down by, plus the total. Each output row is one
(grain, period, dimension, dimension value) with the measure's sufficient statistics. A KPI with a
trailing window aggregates days first and then adds up the days of each window.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlglot import exp

from core.errors import KpiDefinitionError, Problem
from kpis.definitions import KpiDefinition
from kpis.measures import measure_for
from kpis.measures.base import Measure, RowSource
from kpis.spec import Grain, KpiBase

RAW_SCHEMA = "raw"
TOTAL_DIMENSION = "total"
TOTAL_VALUE = "Total"
BLANK_VALUE = "(blank)"
_TIME_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "DATE")
_KEYS = ("grain", "period_start", "dimension", "dimension_value")

Schema = Mapping[str, Mapping[str, str]]
"""Table name -> (column name -> DuckDB type), for the tables of schema `raw`."""


@dataclass(frozen=True)
class PeriodSettings:
    """How time is cut into periods: the reporting time zone and the first day of the week."""

    timezone: str = "UTC"
    week_start: int = 0  # 0 = Monday .. 6 = Sunday


@dataclass(frozen=True)
class Scan:
    """The part of a KPI's query that reads its rows, for KPIs that may share the scan.

    `rows` selects the rows from the table: a `period_<grain>` column per grain, one column per
    dimension, and the measure's row values (`row_values`, by alias); `aggregates` are computed
    over those aliases, per grouping set. `counts_from` turns such aggregates into the KPI's counts.
    A KPI reading several tables (or one table in several roles) has the UNION ALL of one such
    SELECT per source as its rows.
    """

    rows: exp.Query
    grains: tuple[Grain, ...]
    dimensions: tuple[str, ...]
    row_values: tuple[str, ...]
    aggregates: dict[str, exp.Expr]


@dataclass(frozen=True)
class CompiledKpi:
    definition: KpiDefinition
    query: exp.Query
    # Set when the query is one grouping-sets aggregate over its rows (no trailing window): then
    # kpis.scans may compute it together with other KPIs reading the same rows.
    scan: Scan | None = None
    since: date | None = None
    # A KPI reading several sources whose aggregates are all counts: one scan per source, whose
    # counts add up to the KPI's; kpis.scans may compute a part with other KPIs reading that table.
    parts: tuple[Scan, ...] = ()

    @property
    def sql(self) -> str:
        return self.query.sql(dialect="duckdb", pretty=True)


def compile_kpi(
    definition: KpiDefinition, schema: Schema, periods: PeriodSettings, *, since: date | None = None
) -> CompiledKpi:
    """Build the query; raise KpiDefinitionError naming every table or column that is wrong.

    With `since` (a day in the reporting time zone) the query returns only the periods that end on
    or after it, each exactly as the whole query would, and reads only the rows those periods need.
    """
    spec = definition.spec
    measure = measure_for(spec.type)
    sources = measure.sources(spec)
    _check(definition, sources, schema)
    if spec.window_days is not None and not measure.additive:
        raise KpiDefinitionError(
            definition.problem(
                ("window_days",),
                f"a trailing window cannot be used with type {spec.type!r}: its statistic does not add up over days",
                "remove 'window_days:'",
            )
        )
    grains: tuple[Grain, ...] = ("day",) if spec.window_days else spec.grains
    first_day = None if since is None else _first_day_needed(spec, since, periods)
    rows = [_rows(source, spec, grains, schema, periods, first_day) for source in sources]
    union: exp.Query = rows[0]
    for part in rows[1:]:
        union = exp.union(union, part, distinct=False)
    aggregates = measure.aggregates(spec)
    query: exp.Query = grouped(union, grains, spec.dimensions, aggregates)
    scan: Scan | None = None
    parts: tuple[Scan, ...] = ()
    if not spec.window_days:
        values = tuple(dict.fromkeys(name for source in sources for name in source.columns))
        scan = Scan(union.copy(), grains, tuple(spec.dimensions), values, aggregates)
        if len(rows) > 1 and all(_is_count(aggregate) for aggregate in aggregates.values()):
            parts = tuple(
                _part(part, source, grains, tuple(spec.dimensions), aggregates)
                for part, source in zip(rows, sources, strict=True)
            )
    if spec.window_days:
        query = _trailing(query, spec, list(aggregates), periods)
    return CompiledKpi(definition, counts_from(definition, query, periods, since=since), scan, since, parts)


def _is_count(aggregate: exp.Expr) -> bool:
    counted = aggregate.this if isinstance(aggregate, exp.Filter) else aggregate
    return isinstance(counted, exp.Count) and not counted.args.get("distinct")


def _part(
    rows: exp.Select,
    source: RowSource,
    grains: tuple[Grain, ...],
    dimensions: tuple[str, ...],
    aggregates: Mapping[str, exp.Expr],
) -> Scan:
    """One source's share of a KPI's counts, with the row values constant in it (which source a row
    comes from) put into the aggregates: a count that cannot include its rows is 0, not a filter."""
    constants = {alias: value for alias, value in source.columns.items() if isinstance(value, exp.Literal)}

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in constants:
            return constants[node.name].copy()
        return node

    counts = {name: _constant_filter_folded(aggregate.copy().transform(put)) for name, aggregate in aggregates.items()}
    return Scan(rows.copy(), grains, dimensions, tuple(source.columns), counts)


def _constant_filter_folded(count: exp.Expr) -> exp.Expr:
    """COUNT(*) FILTER (WHERE 0 = 1 AND ...) as 0, and (WHERE 0 = 0 AND c) as (WHERE c)."""
    if not isinstance(count, exp.Filter):
        return count
    condition = _folded(count.expression.this)
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.Boolean):
        return count.this if condition.this else exp.cast(exp.Literal.number(0), "BIGINT")
    return exp.Filter(this=count.this, expression=exp.Where(this=condition))


def _equal_constants(left: exp.Literal, right: exp.Literal) -> bool | None:
    """Whether two numbers, or two strings, are equal; None for a number and a string."""
    if left.is_number and right.is_number:
        return float(left.this) == float(right.this)
    if left.is_string and right.is_string:
        return bool(left.this == right.this)
    return None


def _folded(condition: exp.Expr) -> exp.Expr:
    """`condition` with comparisons of two constants, and ANDs with a constant, folded."""
    if isinstance(condition, exp.Paren):
        inner = _folded(condition.this)
        return inner if isinstance(inner, exp.Boolean) else exp.Paren(this=inner)
    left, right = condition.args.get("this"), condition.args.get("expression")
    if isinstance(condition, exp.EQ) and isinstance(left, exp.Literal) and isinstance(right, exp.Literal):
        equal = _equal_constants(left, right)
        return condition if equal is None else exp.Boolean(this=equal)
    if isinstance(condition, exp.And):
        left, right = _folded(condition.this), _folded(condition.expression)
        for constant, other in ((left, right), (right, left)):
            if isinstance(constant, exp.Boolean):
                return other if constant.this else constant
        return exp.And(this=left, expression=right)
    return condition


def grouped(
    rows: exp.Query, grains: tuple[Grain, ...], dimensions: tuple[str, ...], aggregates: Mapping[str, exp.Expr]
) -> exp.Select:
    """The aggregates of `rows` per grain's period, and per period and value of each dimension.

    One output row per (grain, period_start, dimension, dimension_value): GROUPING SETS, one scan.
    When every aggregate adds up (see `_rolled_up`), the rows are first aggregated per cell (one
    period of each grain and one value of each dimension), and the grouping sets add up the cells.
    """
    hoisted, computed = _hoisted(aggregates)
    if computed:
        rows = exp.select(exp.Star(), *(exp.alias_(e, a, quoted=True) for a, e in computed.items())).from_(
            exp.alias_(exp.Subquery(this=rows), "kpi_input")
        )
    rolled_up = _rolled_up(hoisted)
    if rolled_up is not None:
        partials, hoisted = rolled_up
        keys = [exp.column(f"period_{g}") for g in grains] + [exp.column(d, quoted=True) for d in dimensions]
        rows = (
            exp.select(*(k.copy() for k in keys), *(exp.alias_(p, a, quoted=True) for a, p in partials.items()))
            .from_(exp.alias_(exp.Subquery(this=rows), "kpi_cells"))
            .group_by(*keys)
        )
    query = exp.select(
        _grain_label(grains),
        exp.alias_(_first_non_null([exp.column(f"period_{g}") for g in grains]), "period_start"),
        *_dimension_labels(dimensions),
        *(exp.alias_(aggregate, name) for name, aggregate in hoisted.items()),
    ).from_(exp.alias_(exp.Subquery(this=rows), "kpi_rows"))
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=_grouping_sets(dimensions, grains))]))
    return query


def _hoisted(aggregates: Mapping[str, exp.Expr]) -> tuple[dict[str, exp.Expr], dict[str, exp.Expr]]:
    """The aggregates with each FILTER condition and computed SUM argument made a column of the row.

    With GROUPING SETS DuckDB evaluates an aggregate's filter and argument once per grouping set
    (18 times for three grains by five dimensions and the total); a column is computed once per
    row. Returns the aggregates and the columns (by alias) they now read.
    """
    computed: dict[str, exp.Expr] = {}
    aliases: dict[str, str] = {}

    def column_for(expression: exp.Expr, kind: str) -> exp.Column:
        key = expression.sql("duckdb")
        if key not in aliases:
            aliases[key] = f"_{kind}_{len(aliases)}"
            computed[aliases[key]] = expression.copy()
        return exp.column(aliases[key], quoted=True)

    hoisted: dict[str, exp.Expr] = {}
    for name, aggregate in aggregates.items():
        copy = aggregate.copy()
        for where in list(copy.find_all(exp.Where)):
            if isinstance(where.parent, exp.Filter) and not isinstance(where.this, exp.Column):
                where.set("this", column_for(where.this, "filter"))
        for total in list(copy.find_all(exp.Sum)):
            if not isinstance(total.this, exp.Column | exp.Literal):
                total.set("this", column_for(total.this, "summed"))
        hoisted[name] = copy
    return hoisted, computed


_ROLLUPS: dict[type[exp.Expr], type[exp.Func]] = {
    exp.Count: exp.Sum,
    exp.Sum: exp.Sum,
    exp.Min: exp.Min,
    exp.Max: exp.Max,
}


def _rolled_up(aggregates: Mapping[str, exp.Expr]) -> tuple[dict[str, exp.Expr], dict[str, exp.Expr]] | None:
    """Per-cell partial aggregates and the aggregates that add them up, or None if one does not add up.

    With GROUPING SETS DuckDB updates every aggregate once per grouping set per row (18 times for
    three grains by five dimensions and the total). Counts, sums, minima and maxima (filtered or
    not) of a group are those of its cells, so each row is aggregated once, into its cell (about
    450,000 cells for 10M survey rows), and the grouping sets aggregate the cells: the same
    counts, and the same sums up to the order of floating-point additions. Any other aggregate
    (a sorted list, DISTINCT) and the query stays one pass.
    """
    partials: dict[str, exp.Expr] = {}
    combined: dict[str, exp.Expr] = {}
    for name, aggregate in aggregates.items():
        copy = aggregate.copy()
        if copy.find(exp.Window) is not None:
            return None
        for function in list(copy.find_all(exp.AggFunc)):
            rollup = _ROLLUPS.get(type(function))
            if rollup is None or isinstance(function.this, exp.Distinct):
                return None
            node = function.parent if isinstance(function.parent, exp.Filter) else function
            alias = f"_cell_{len(partials)}"
            partials[alias] = node.copy()
            total: exp.Expr = rollup(this=exp.column(alias, quoted=True))
            if isinstance(function, exp.Count):  # a sum of counts is a count: BIGINT, never NULL here
                total = exp.cast(total, exp.DataType.build("BIGINT"))
            if node is copy:
                copy = total
            else:
                node.replace(total)
        combined[name] = copy
    return partials, combined


def counts_from(
    definition: KpiDefinition, aggregated: exp.Query, periods: PeriodSettings, *, since: date | None = None
) -> exp.Query:
    """The KPI's counts from a query giving its aggregates per key (its own, or a shared scan's)."""
    spec = definition.spec
    measure = measure_for(spec.type)
    query = _finish(aggregated, measure, spec, list(measure.aggregates(spec)))
    if since is not None:
        query = _periods_from(query, spec.grains, since, periods)
    return query


def grain_start(grain: Grain, day: date, periods: PeriodSettings) -> date:
    """The first day of the period of `grain` that `day` falls in (as `period_start` computes it in SQL)."""
    if grain == "week":
        return day - timedelta(days=(day.weekday() - periods.week_start) % 7)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def _first_day_needed(spec: KpiBase, since: date, periods: PeriodSettings) -> date:
    """The earliest day whose rows a period starting on or after its grain's start of `since` reads.

    A trailing window reaches `window_days` back; one more day keeps a time zone whose clocks
    change at midnight from dropping the first hour.
    """
    first = min(grain_start(grain, since, periods) for grain in spec.grains)
    return first - timedelta(days=(spec.window_days or 0) + 1)


def _periods_from(query: exp.Query, grains: tuple[Grain, ...], since: date, periods: PeriodSettings) -> exp.Query:
    """Keep each grain's periods from the one `since` falls in: the earlier ones read rows not read."""
    start = exp.Case()
    for grain in grains:
        start = start.when(
            exp.column("grain").eq(exp.Literal.string(grain)),
            exp.cast(exp.Literal.string(grain_start(grain, since, periods).isoformat()), "DATE"),
        )
    kept = exp.GTE(this=exp.column("period_start"), expression=start)
    return exp.select(exp.Star()).from_(exp.alias_(exp.Subquery(this=query), "partial")).where(kept)


def _rows(
    source: RowSource,
    spec: KpiBase,
    grains: tuple[Grain, ...],
    schema: Schema,
    periods: PeriodSettings,
    first_day: date | None = None,
) -> exp.Select:
    time_type = schema[source.table][source.time_column]
    query = exp.select(
        *(exp.alias_(period_start(g, source.event_time, time_type, periods), f"period_{g}") for g in grains),
        *(exp.alias_(source.dimensions.get(d, exp.null()), d, quoted=True) for d in spec.dimensions),
        *(exp.alias_(expression, alias) for alias, expression in source.columns.items()),
    ).from_(exp.table_(exp.to_identifier(source.table, quoted=True), db=exp.to_identifier(RAW_SCHEMA)))
    query = query.where(exp.Not(this=exp.Is(this=source.event_time.copy(), expression=exp.null())))
    if first_day is not None:
        query = query.where(exp.GTE(this=source.event_time.copy(), expression=_instant(first_day, time_type, periods)))
    for condition in source.conditions:
        query = query.where(condition.copy())
    return query


def _instant(day: date, time_type: str, periods: PeriodSettings) -> exp.Expr:
    """Midnight starting `day` in the reporting time zone, in the type of the time column.

    A constant, so that DuckDB skips the row groups that end before it (rows are mostly loaded in
    time order).
    """
    text = exp.Literal.string(day.isoformat())
    if time_type == "DATE":
        return exp.cast(text, "DATE")
    local = exp.cast(text, "TIMESTAMP")
    if time_type == "TIMESTAMP WITH TIME ZONE":
        return exp.func("timezone", exp.Literal.string(periods.timezone), local, dialect="duckdb")
    return local


def period_start(grain: Grain, value: exp.Expr, value_type: str, periods: PeriodSettings) -> exp.Expr:
    """The first day of the period a time value belongs to, in the reporting time zone."""
    value = value.copy()
    if value_type == "TIMESTAMP WITH TIME ZONE":
        value = exp.func("timezone", exp.Literal.string(periods.timezone), value, dialect="duckdb")
    elif value_type == "DATE":
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


def _period_end(grain: Grain, start: exp.Expr) -> exp.Expr:
    step = exp.Interval(this=exp.Literal.string("1"), unit=exp.var(grain.upper()))
    day = exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY"))
    return exp.cast(exp.Sub(this=exp.Add(this=start, expression=step), expression=day), "DATE")


def _first_non_null(values: list[exp.Column]) -> exp.Expr:
    return exp.Coalesce(this=values[0], expressions=values[1:]) if len(values) > 1 else values[0]


def _grouped(name: str) -> exp.Expr:
    """True in the output rows where `name` is one of the grouping keys."""
    return exp.EQ(this=exp.func("grouping", exp.column(name, quoted=True)), expression=exp.Literal.number(0))


def _grain_label(grains: tuple[Grain, ...]) -> exp.Expr:
    case = exp.Case()
    for grain in grains:
        case = case.when(_grouped(f"period_{grain}"), exp.Literal.string(grain))
    return exp.alias_(case, "grain")


def _dimension_labels(dimensions: tuple[str, ...]) -> list[exp.Expr]:
    if not dimensions:
        return [
            exp.alias_(exp.Literal.string(TOTAL_DIMENSION), "dimension"),
            exp.alias_(exp.Literal.string(TOTAL_VALUE), "dimension_value"),
        ]
    name = exp.Case()
    value = exp.Case()
    for dimension in dimensions:
        text = exp.Coalesce(
            this=exp.cast(exp.column(dimension, quoted=True), "VARCHAR"), expressions=[exp.Literal.string(BLANK_VALUE)]
        )
        name = name.when(_grouped(dimension), exp.Literal.string(dimension))
        value = value.when(_grouped(dimension), text)
    name = name.else_(exp.Literal.string(TOTAL_DIMENSION))
    value = value.else_(exp.Literal.string(TOTAL_VALUE))
    return [exp.alias_(name, "dimension"), exp.alias_(value, "dimension_value")]


def _grouping_sets(dimensions: tuple[str, ...], grains: tuple[Grain, ...]) -> list[exp.Expr]:
    sets: list[exp.Expr] = []
    for grain in grains:
        period = exp.column(f"period_{grain}")
        sets.append(exp.Tuple(expressions=[period]))
        for dimension in dimensions:
            sets.append(exp.Tuple(expressions=[period.copy(), exp.column(dimension, quoted=True)]))
    return sets


def _trailing(daily: exp.Query, spec: KpiBase, aggregates: list[str], periods: PeriodSettings) -> exp.Query:
    """Each period's value over the `window_days` days ending on its last day, from daily sums."""
    assert spec.window_days is not None
    starts = [
        exp.select(
            exp.alias_(exp.Literal.string(grain), "grain"),
            exp.alias_(period_start(grain, exp.column("period_start"), "DATE", periods), "period_start"),
            "dimension",
            "dimension_value",
        )
        .distinct()
        .from_("daily")
        for grain in spec.grains
    ]
    union: exp.Query = starts[0]
    for part in starts[1:]:
        union = exp.union(union, part, distinct=False)
    end = _period_end_by_grain(spec.grains, exp.column("period_start", "p"))
    first_day = exp.Sub(this=end.copy(), expression=exp.Literal.number(spec.window_days - 1))
    joined = exp.and_(
        exp.column("dimension", "d").eq(exp.column("dimension", "p")),
        exp.column("dimension_value", "d").eq(exp.column("dimension_value", "p")),
        exp.Between(this=exp.column("period_start", "d"), low=first_day, high=end),
    )
    query = (
        exp.select(
            *(exp.column(key, "p") for key in _KEYS),
            *(exp.alias_(exp.Sum(this=exp.column(name, "d")), name) for name in aggregates),
        )
        .from_(exp.alias_(exp.Subquery(this=union), "p"))
        .join(exp.alias_(exp.to_table("daily"), "d"), on=joined)
        .group_by(*(exp.column(key, "p") for key in _KEYS))
    )
    return query.with_("daily", as_=daily)


def _period_end_by_grain(grains: tuple[Grain, ...], start: exp.Expr) -> exp.Expr:
    case = exp.Case()
    for grain in grains:
        case = case.when(exp.column("grain", "p").eq(exp.Literal.string(grain)), _period_end(grain, start.copy()))
    return case


def _finish(query: exp.Query, measure: Measure, spec: KpiBase, aggregates: list[str]) -> exp.Query:
    finish = measure.finish(spec)
    if not finish and not any(name.startswith("_") for name in aggregates):
        return query
    public = [name for name in aggregates if not name.startswith("_")]
    return exp.select(*_KEYS, *public, *(exp.alias_(expression, name) for name, expression in finish.items())).from_(
        exp.alias_(exp.Subquery(this=query), "aggregated")
    )


def _check(definition: KpiDefinition, sources: list[RowSource], schema: Schema) -> None:
    """Every table loaded, every column present, every time column a time: or all the problems."""
    problems: list[Problem] = []
    for source in sources:
        columns = schema.get(source.table)
        if columns is None:
            problems.append(
                definition.problem(
                    _key_of(definition, source.table),
                    f"table {source.table!r} has not been loaded",
                    f"add a source with 'table: {source.table}' to config.yaml and run a refresh",
                )
            )
            continue
        used: list[exp.Expr] = [exp.column(source.time_column), source.event_time]
        used += [*source.dimensions.values(), *source.columns.values(), *source.conditions]
        names = sorted({c.name for expression in used for c in expression.find_all(exp.Column) if not c.table})
        for name in names:
            if name in columns:
                continue
            close = difflib.get_close_matches(name, list(columns), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"columns: {', '.join(sorted(columns))}"
            key = _key_of(definition, name)
            problems.append(definition.problem(key, f"{key[0]}: column {name!r} not in table {source.table!r}", hint))
        time_type = columns.get(source.time_column)
        if time_type is not None and time_type not in _TIME_TYPES:
            problems.append(
                definition.problem(
                    _key_of(definition, source.time_column),
                    f"{source.time_column!r} is {time_type}, not a time",
                    "choose a timestamp or date column",
                )
            )
    if problems:
        raise KpiDefinitionError(list(dict.fromkeys(problems)))


def _key_of(definition: KpiDefinition, name: str) -> tuple[str | int, ...]:
    """The key in the KPI file that mentions `name`, so a problem points at the right line."""
    data = definition.spec.model_dump(by_alias=True, exclude={"tests", "description", "display_name"})
    word = re.compile(rf"\b{re.escape(name)}\b")
    exact: list[tuple[str | int, ...]] = []
    mentioned: list[tuple[str | int, ...]] = []
    _search(data, (), name, word, exact, mentioned)
    found = exact or mentioned
    return found[0] if found else ("name",)


def _search(
    value: Any,
    path: tuple[str | int, ...],
    name: str,
    word: re.Pattern[str],
    exact: list[tuple[str | int, ...]],
    mentioned: list[tuple[str | int, ...]],
) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _search(item, (*path, key), name, word, exact, mentioned)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _search(item, (*path, index), name, word, exact, mentioned)
    elif isinstance(value, str) and path:
        if value == name:
            exact.append(path)
        elif word.search(value):
            mentioned.append(path)
