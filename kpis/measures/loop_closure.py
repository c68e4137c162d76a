"""Loop closure: how fast negative feedback is closed with the customer, open cases included.

Two kinds of rows come from the cases table: each closed case in the period it closed (for the
median and 90th percentile time to close), and each case in the period its SLA deadline fell (for
the share closed within the SLA, where a case still open past its deadline is a miss). Deadlines
count up to the data's "as of" time: the latest start or end time in the table, so an old export
does not make every open case overdue.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd
import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp

from core.spec import Identifier
from kpis import stats
from kpis.fragments import parse_condition
from kpis.measures.base import ChangeTest, Measure, RowSource, column, count_where, nan_array
from kpis.measures.clock import BusinessHours, business_deadline, business_hours_between
from kpis.spec import DisplayFormat, KpiBase, SqlCondition

Statistic = Literal["median_hours", "p90_hours", "within_sla_share"]
QUANTILES: dict[str, float] = {"median_hours": 0.5, "p90_hours": 0.9}
ROLE, HOURS, MET, OPEN, REOPENED = "_role", "_hours", "_met", "_open", "_reopened"
_COUNTS = ("closed", "due", "met_sla", "open_overdue", "reopened")
AGE_BUCKETS = (("under 24 h", 0, 24), ("24-48 h", 24, 48), ("2-7 days", 48, 168), ("over 7 days", 168, None))


class LoopClosureSpec(KpiBase):
    """`type: loop_closure`: time from a start event to an end event, and the share within an SLA."""

    type: Literal["loop_closure"]
    table: Identifier = Field(description="Table of cases, one row per case.")
    start: Identifier = Field(description="Column with the start event, e.g. opened_at.")
    end: Identifier = Field(description="Column with the end event (closed with the customer); blank while open.")
    filter: SqlCondition | None = None
    statistic: Statistic = "median_hours"
    sla_hours: float = Field(default=48, gt=0)
    clock: Literal["continuous", "business_hours"] = "continuous"
    business_hours: BusinessHours = BusinessHours()
    open_cases: Literal["count_as_missed", "exclude"] = Field(
        default="count_as_missed", description="Whether a case still open past its deadline counts as a miss."
    )
    reopen_count: Identifier | None = Field(default=None, description="Column counting reopenings.")
    format: DisplayFormat = DisplayFormat(decimals=1, unit=" h")

    @model_validator(mode="after")
    def _direction_fits(self) -> LoopClosureSpec:
        wanted = "higher_is_better" if self.statistic == "within_sla_share" else "lower_is_better"
        if self.direction != wanted:
            raise ValueError(f"for statistic {self.statistic}, set direction: {wanted}")
        return self


class LoopClosureMeasure(Measure):
    additive = False
    period_local = False  # every open case ages with the data's "as of" time, the latest in the table

    def statistic_of(self, spec: KpiBase) -> str:
        assert isinstance(spec, LoopClosureSpec)
        return spec.statistic

    def change_test_of(self, spec: KpiBase) -> ChangeTest:
        assert isinstance(spec, LoopClosureSpec)
        return "two_proportion" if spec.statistic == "within_sla_share" else "none"

    def sources(self, spec: KpiBase) -> list[RowSource]:
        assert isinstance(spec, LoopClosureSpec)
        start, end = column(spec.start), column(spec.end)
        hours = elapsed_hours(spec, start, end)
        conditions = (exp.Paren(this=parse_condition(spec.filter)),) if spec.filter else ()
        reopened: exp.Expr = exp.false()
        if spec.reopen_count:
            reopened = exp.Coalesce(this=column(spec.reopen_count).__gt__(0), expressions=[exp.false()])
        dimensions: dict[str, exp.Expr] = {d: column(d) for d in spec.dimensions}
        closed = RowSource(
            table=spec.table,
            time_column=spec.end,
            dimensions=dimensions,
            conditions=(*conditions, exp.Not(this=exp.Is(this=start.copy(), expression=exp.null()))),
            columns={
                ROLE: exp.Literal.string("closed"),
                HOURS: hours,
                MET: exp.false(),
                OPEN: exp.false(),
                REOPENED: reopened,
            },
        )
        deadline = deadline_of(spec, start.copy())
        missed_if_open = exp.true() if spec.open_cases == "count_as_missed" else exp.null()
        due_conditions = [*conditions, exp.LTE(this=deadline.copy(), expression=as_of(spec))]
        if spec.open_cases == "exclude":
            due_conditions.append(exp.Not(this=exp.Is(this=end.copy(), expression=exp.null())))
        due = RowSource(
            table=spec.table,
            time_column=spec.start,
            time=deadline,
            dimensions={d: e.copy() for d, e in dimensions.items()},
            conditions=tuple(due_conditions),
            columns={
                ROLE: exp.Literal.string("due"),
                HOURS: hours.copy(),
                MET: exp.Coalesce(
                    this=exp.LTE(this=hours.copy(), expression=exp.Literal.number(spec.sla_hours)),
                    expressions=[exp.false()],
                ),
                OPEN: exp.And(this=exp.Is(this=end.copy(), expression=exp.null()), expression=missed_if_open),
                REOPENED: reopened.copy(),
            },
        )
        return [closed, due]

    def aggregates(self, spec: KpiBase) -> dict[str, exp.Expr]:
        assert isinstance(spec, LoopClosureSpec)
        closed = exp.column(ROLE).eq(exp.Literal.string("closed"))
        due = exp.column(ROLE).eq(exp.Literal.string("due"))
        hours = exp.column(HOURS)
        aggregates: dict[str, exp.Expr] = {
            "closed": count_where(closed),
            "due": count_where(due),
            "met_sla": count_where(exp.and_(due.copy(), exp.column(MET))),
            "open_overdue": count_where(exp.and_(due.copy(), exp.column(OPEN))),
            "reopened": count_where(exp.and_(closed.copy(), exp.column(REOPENED))),
        }
        # One list of the closing times per group, not one holistic aggregate per figure: the median,
        # the 90th percentile and the order statistics of their intervals are all read off it.
        ordered = exp.Order(this=hours.copy(), expressions=[exp.Ordered(this=hours.copy())])
        aggregates["_sorted"] = exp.Filter(
            this=exp.func("list", ordered, dialect="duckdb"), expression=exp.Where(this=closed.copy())
        )
        aggregates["n"] = count_where(closed.copy() if spec.statistic in QUANTILES else due.copy())
        return aggregates

    def finish(self, spec: KpiBase) -> dict[str, exp.Expr]:
        """Median and 90th percentile (as DuckDB's quantile_cont), and the 95% interval of the headline
        percentile (order statistics at binomial ranks), from each group's sorted closing times."""
        assert isinstance(spec, LoopClosureSpec)
        sorted_times = exp.column("_sorted")
        figures = {name: sorted_quantile(sorted_times, q) for name, q in QUANTILES.items()}
        if spec.statistic not in QUANTILES:
            return figures
        q = QUANTILES[spec.statistic]
        n = exp.cast(exp.column("closed"), "DOUBLE")
        centre = exp.Mul(this=n, expression=exp.Literal.number(q))
        spread = exp.Mul(
            this=exp.Literal.number(stats.Z95),
            expression=exp.Sqrt(this=exp.Mul(this=centre.copy(), expression=exp.Literal.number(1 - q))),
        )
        low_rank = exp.func(
            "greatest", exp.Literal.number(1), exp.Floor(this=exp.Sub(this=centre.copy(), expression=spread))
        )
        high_rank = exp.func(
            "least",
            n.copy(),
            exp.Add(
                this=exp.Ceil(this=exp.Add(this=centre.copy(), expression=spread.copy())),
                expression=exp.Literal.number(1),
            ),
        )
        return figures | {
            "percentile_low": _element(sorted_times, low_rank),
            "percentile_high": _element(sorted_times, high_rank),
        }

    def statistics(self, spec: KpiBase, counts: pd.DataFrame) -> pd.DataFrame:
        assert isinstance(spec, LoopClosureSpec)
        due = counts["due"].to_numpy(dtype=float)
        met = counts["met_sla"].to_numpy(dtype=float)
        share = stats.share(met, due)
        if spec.statistic == "within_sla_share":
            low, high = stats.wilson_interval(met, due)
            value, low, high, numerator, denominator = 100 * share, 100 * low, 100 * high, met, due
            variance = share * (1 - share)
        else:
            value = counts[spec.statistic].to_numpy(dtype=float)
            low = counts["percentile_low"].to_numpy(dtype=float)
            high = counts["percentile_high"].to_numpy(dtype=float)
            numerator, denominator, variance = (
                nan_array(len(counts)),
                counts["closed"].to_numpy(dtype=float),
                nan_array(len(counts)),
            )
        figures = {name: counts[name].to_numpy(dtype=float) for name in (*QUANTILES, *_COUNTS)}
        details = [
            json.dumps(
                {
                    **{name: _number(figures[name][i]) for name in QUANTILES},
                    "within_sla_share": _number(100 * share[i]),
                    **{name: int(figures[name][i]) for name in _COUNTS},
                    "sla_hours": spec.sla_hours,
                }
            )
            for i in range(len(counts))
        ]
        extra = [c for c in ("percentile_low", "percentile_high", "median_hours", "p90_hours") if c in counts]
        return counts.drop(columns=extra).assign(
            positive=met if spec.statistic == "within_sla_share" else None,
            negative=(due - met) if spec.statistic == "within_sla_share" else None,
            value=value,
            variance=variance,
            ci_low=low,
            ci_high=high,
            numerator=numerator,
            denominator=denominator,
            details=details,
        )

    def formula(self, spec: KpiBase) -> str:
        assert isinstance(spec, LoopClosureSpec)
        clock = (
            "continuous clock (calendar hours, nights and weekends included: the customer's view)"
            if spec.clock == "continuous"
            else f"business-hours clock ({spec.business_hours.describe()})"
        )
        headline = {
            "median_hours": "median hours from start to close, over cases closed in the period; 95% interval from "
            "order statistics (binomial ranks)",
            "p90_hours": "90th percentile of hours from start to close, over cases closed in the period; 95% interval "
            "from order statistics (binomial ranks)",
            "within_sla_share": f"100 x cases closed within {spec.sla_hours:g} h / cases whose {spec.sla_hours:g} h "
            "deadline fell in the period; Wilson 95% interval, two-proportion z-test for changes",
        }[spec.statistic]
        open_rule = (
            "A case still open past its deadline counts as a miss."
            if spec.open_cases == "count_as_missed"
            else "Only closed cases are counted (open cases are excluded)."
        )
        return (
            f"{spec.display_name}: {headline}. Time runs from {spec.start} to {spec.end} on a {clock}. "
            f"{open_rule} Reopened cases are measured to their final close and counted as reopened. Deadlines are "
            "counted up to the latest time in the data (its 'as of' time)."
        )


def _element(times: exp.Expr, rank: exp.Expr) -> exp.Expr:
    """The rank-th (1-based) of the sorted times."""
    return exp.func("list_extract", times.copy(), exp.cast(rank, "BIGINT"), dialect="duckdb")


def sorted_quantile(times: exp.Expr, q: float) -> exp.Expr:
    """quantile_cont(times, q) of a sorted list: linear interpolation at position q x (n - 1), as DuckDB does."""
    text = """
        CASE WHEN len(:t) = 0 THEN NULL
             WHEN floor((len(:t) - 1) * :q) = ceil((len(:t) - 1) * :q)
                 THEN list_extract(:t, CAST(floor((len(:t) - 1) * :q) AS BIGINT) + 1)
             ELSE list_extract(:t, CAST(floor((len(:t) - 1) * :q) AS BIGINT) + 1)
                 + (list_extract(:t, CAST(ceil((len(:t) - 1) * :q) AS BIGINT) + 1)
                    - list_extract(:t, CAST(floor((len(:t) - 1) * :q) AS BIGINT) + 1))
                 * ((len(:t) - 1) * :q - floor((len(:t) - 1) * :q))
        END"""
    return sqlglot.parse_one(
        text.replace(":t", times.sql("duckdb")).replace(":q", f"CAST({float(q)!r} AS DOUBLE)"), dialect="duckdb"
    )


def _number(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def elapsed_hours(spec: LoopClosureSpec, start: exp.Expr, end: exp.Expr) -> exp.Expr:
    if spec.clock == "business_hours":
        return business_hours_between(start, end, spec.business_hours)
    seconds = exp.Sub(
        this=exp.func("epoch", end, dialect="duckdb"), expression=exp.func("epoch", start, dialect="duckdb")
    )
    return exp.Div(this=exp.Paren(this=seconds), expression=exp.Literal.number(3600.0))


def deadline_of(spec: LoopClosureSpec, start: exp.Expr) -> exp.Expr:
    if spec.clock == "business_hours":
        return business_deadline(start, spec.sla_hours, spec.business_hours)
    seconds = round(spec.sla_hours * 3600)
    sla = exp.Interval(this=exp.Literal.string(str(seconds)), unit=exp.var("SECOND"))
    return exp.Add(this=start, expression=sla)


def as_of(spec: LoopClosureSpec) -> exp.Expr:
    """The latest start or end time in the table: deadlines after it are not yet due."""
    latest = exp.func("greatest", exp.Max(this=column(spec.start)), exp.Max(this=column(spec.end)))
    table = exp.table_(exp.to_identifier(spec.table, quoted=True), db=exp.to_identifier("raw"))
    return exp.Subquery(this=exp.select(latest).from_(table))


def backlog_query(spec: LoopClosureSpec) -> exp.Select:
    """Open cases now, by age bucket, for the total and each dimension value; overdue = past the deadline."""
    start, end = column(spec.start), column(spec.end)
    cutoff = as_of(spec)
    age = exp.Div(
        this=exp.Paren(
            this=exp.Sub(
                this=exp.func("epoch", cutoff.copy(), dialect="duckdb"),
                expression=exp.func("epoch", start.copy(), dialect="duckdb"),
            )
        ),
        expression=exp.Literal.number(3600.0),
    )
    bucket, order = exp.Case(), exp.Case()
    for index, (label, low, high) in enumerate(AGE_BUCKETS):
        test: exp.Expr = exp.GTE(this=age.copy(), expression=exp.Literal.number(low))
        if high is not None:
            test = exp.and_(test, exp.LT(this=age.copy(), expression=exp.Literal.number(high)))
        bucket = bucket.when(test, exp.Literal.string(label))
        order = order.when(test, exp.Literal.number(index))
    rows = exp.select(
        *(column(d) for d in spec.dimensions),
        exp.alias_(bucket, "age_bucket"),
        exp.alias_(order, "bucket_order"),
        exp.alias_(exp.LTE(this=deadline_of(spec, start.copy()), expression=cutoff.copy()), "_overdue"),
    ).from_(exp.table_(exp.to_identifier(spec.table, quoted=True), db=exp.to_identifier("raw")))
    rows = rows.where(exp.Is(this=end, expression=exp.null())).where(
        exp.Not(this=exp.Is(this=start.copy(), expression=exp.null()))
    )
    if spec.filter:
        rows = rows.where(exp.Paren(this=parse_condition(spec.filter)))
    dimension, value = exp.Case(), exp.Case()
    for d in spec.dimensions:
        grouped = exp.EQ(this=exp.func("grouping", column(d)), expression=exp.Literal.number(0))
        dimension = dimension.when(grouped, exp.Literal.string(d))
        value = value.when(
            grouped.copy(),
            exp.Coalesce(this=exp.cast(column(d), "VARCHAR"), expressions=[exp.Literal.string("(blank)")]),
        )
    dimension_label: exp.Expr = (
        dimension.else_(exp.Literal.string("total")) if spec.dimensions else exp.Literal.string("total")
    )
    value_label: exp.Expr = value.else_(exp.Literal.string("Total")) if spec.dimensions else exp.Literal.string("Total")
    query = exp.select(
        exp.alias_(exp.Cast(this=cutoff.copy(), to=exp.DataType.build("TIMESTAMPTZ")), "as_of"),
        exp.alias_(dimension_label, "dimension"),
        exp.alias_(value_label, "dimension_value"),
        "age_bucket",
        "bucket_order",
        exp.alias_(exp.Count(this=exp.Star()), "open_cases"),
        exp.alias_(count_where(exp.column("_overdue")), "overdue_cases"),
    ).from_(exp.alias_(exp.Subquery(this=rows), "open_cases"))
    sets = [exp.Tuple(expressions=[exp.column("age_bucket"), exp.column("bucket_order")])]
    sets += [
        exp.Tuple(expressions=[exp.column("age_bucket"), exp.column("bucket_order"), column(d)])
        for d in spec.dimensions
    ]
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    return query
