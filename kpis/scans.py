"""KPIs that read the same rows of the same table share one scan of it.

Every KPI compiles to a query of its own (what `show-sql` prints and an analyst can run). When
several KPIs are aggregated from scratch and read the same rows (same table, same filter, the same
periods and dimensions where they overlap), one query computes all their aggregates over the union
of their grouping sets into a TEMP table, and each KPI's counts are selected from it. A KPI's rows
there are exactly those of its own query (same rows, same groups, same aggregate expressions; see
tests/kpis/test_scans.py); the table is read, and each row's periods computed, once instead of
once per KPI. KPIs whose rows are a UNION ALL of several sources (e.g. the two loop-closure KPIs:
closed cases and cases due) share a scan only with KPIs whose rows are the very same union. An
aggregate several members compute alike (the loop-closure KPIs' sorted closing times) is computed
once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from kpis.compile import TOTAL_DIMENSION, CompiledKpi, PeriodSettings, Scan, counts_from, grouped
from kpis.spec import GRAINS, Grain
from kpis.state import KEYS

TEMP_PREFIX = "_shared_counts"


@dataclass
class _Group:
    """KPIs whose scans read the same rows; each one's row values and aggregates renamed apart.

    When the rows are a union of several sources, every member's rows are that same union, and
    its row values are not renamed (they are the same values).
    """

    rows: exp.Query
    members: list[CompiledKpi] = field(default_factory=list)
    shared_columns: dict[str, str] = field(default_factory=dict)  # period and dimension alias -> SQL

    @property
    def one_select(self) -> bool:
        return isinstance(self.rows, exp.Select)

    def accepts(self, scan: Scan) -> bool:
        rows = self.rows
        if not isinstance(rows, exp.Select) or not isinstance(scan.rows, exp.Select):
            return scan.rows.sql("duckdb") == rows.sql("duckdb")
        if _source(scan.rows) != _source(rows):
            return False
        columns = _shared_columns(scan)
        return all(self.shared_columns.get(alias, sql) == sql for alias, sql in columns.items())

    def add(self, compiled: CompiledKpi) -> None:
        assert compiled.scan is not None
        self.members.append(compiled)
        if self.one_select:
            self.shared_columns |= _shared_columns(compiled.scan)


@dataclass(frozen=True)
class SharedScan:
    table: str
    kpis: tuple[str, ...]
    seconds: float


@dataclass
class SharedCounts:
    """The counts queries of KPIs computed in a shared scan, by KPI name."""

    queries: dict[str, exp.Query] = field(default_factory=dict)
    scans: dict[str, SharedScan] = field(default_factory=dict)

    def query(self, kpi: str) -> exp.Query | None:
        return self.queries.get(kpi)

    def partners(self, kpi: str) -> tuple[str, ...]:
        scan = self.scans.get(kpi)
        return tuple(k for k in scan.kpis if k != kpi) if scan else ()

    def seconds(self, kpi: str) -> float:
        """Each KPI's share of the time its scan took."""
        scan = self.scans.get(kpi)
        return scan.seconds / len(scan.kpis) if scan else 0.0

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in {scan.table for scan in self.scans.values()}:
            con.execute(f"DROP TABLE IF EXISTS {exp.to_identifier(table).sql('duckdb')}")


def share(con: duckdb.DuckDBPyConnection, compiled: Sequence[CompiledKpi], periods: PeriodSettings) -> SharedCounts:
    """Run one query per group of KPIs reading the same rows; KPIs alone in theirs are left out.

    A group whose query fails when it runs is left out too: each of its KPIs then runs its own
    query, so that the failure is reported against the KPI that causes it.
    """
    shared = SharedCounts()
    for index, group in enumerate(_groups(compiled)):
        table = f"{TEMP_PREFIX}_{index}"
        started = time.perf_counter()
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {fused_query(group).sql('duckdb')}")
        except duckdb.Error:
            continue
        scan = SharedScan(table, tuple(c.definition.name for c in group.members), time.perf_counter() - started)
        for member, columns in zip(group.members, _fused_aggregates(group)[1], strict=True):
            shared.queries[member.definition.name] = _selected(member, columns, table, periods)
            shared.scans[member.definition.name] = scan
    return shared


def _groups(compiled: Sequence[CompiledKpi]) -> list[_Group]:
    groups: list[_Group] = []
    for kpi in compiled:
        if kpi.scan is None:
            continue
        group = next((g for g in groups if g.accepts(kpi.scan)), None)
        if group is None:
            group = _Group(kpi.scan.rows)
            groups.append(group)
        group.add(kpi)
    return [g for g in groups if len(g.members) > 1]


def fused_query(group: _Group) -> exp.Select:
    """All members' aggregates over the union of their grouping sets, in one scan of the rows."""
    grains: list[Grain] = []
    dimensions: list[str] = []
    projections: dict[str, exp.Expr] = {}
    for position, member in enumerate(group.members):
        scan = member.scan
        assert scan is not None
        grains += [g for g in scan.grains if g not in grains]
        dimensions += [d for d in scan.dimensions if d not in dimensions]
        if group.one_select:
            assert isinstance(scan.rows, exp.Select)
            renamed = _row_values_renamed(group, position)
            for projection in scan.rows.expressions:
                alias = projection.alias_or_name
                projections.setdefault(renamed.get(alias, alias), projection.unalias())
    rows = group.rows.copy()
    if group.one_select:
        rows.set("expressions", [exp.alias_(value.copy(), alias, quoted=True) for alias, value in projections.items()])
    ordered = tuple(g for g in GRAINS if g in grains)
    return grouped(rows, ordered, tuple(dimensions), _fused_aggregates(group)[0])


def _fused_aggregates(group: _Group) -> tuple[dict[str, exp.Expr], list[dict[str, str]]]:
    """The fused query's aggregates by column, and for each member its aggregates' columns by name.

    Members' aggregates are renamed apart (`_k<position>_<name>`), except that one computed alike by
    an earlier member (the same expression on the same row values) is that member's column.
    """
    aggregates: dict[str, exp.Expr] = {}
    by_sql: dict[str, str] = {}
    columns: list[dict[str, str]] = []
    for position, member in enumerate(group.members):
        scan = member.scan
        assert scan is not None
        renamed = _row_values_renamed(group, position)
        own: dict[str, str] = {}
        for name, aggregate in scan.aggregates.items():
            expression = _with_columns_renamed(aggregate, renamed)
            key = expression.sql("duckdb")
            if key not in by_sql:
                by_sql[key] = _renamed(position, name)
                aggregates[by_sql[key]] = expression
            own[name] = by_sql[key]
        columns.append(own)
    return aggregates, columns


def _row_values_renamed(group: _Group, position: int) -> dict[str, str]:
    """A member's row values under the names they have in the fused rows."""
    scan = group.members[position].scan
    assert scan is not None
    return {value: _renamed(position, value) for value in scan.row_values} if group.one_select else {}


def _selected(member: CompiledKpi, columns: dict[str, str], table: str, periods: PeriodSettings) -> exp.Query:
    """Member's aggregates under their own names, only for its own grains and dimensions."""
    scan = member.scan
    assert scan is not None
    own = exp.and_(
        exp.In(this=exp.column("grain"), expressions=[exp.Literal.string(g) for g in scan.grains]),
        exp.In(
            this=exp.column("dimension"),
            expressions=[exp.Literal.string(d) for d in (TOTAL_DIMENSION, *scan.dimensions)],
        ),
    )
    selection = (
        exp.select(
            *KEYS,
            *(exp.alias_(exp.column(columns[name], quoted=True), name, quoted=True) for name in scan.aggregates),
        )
        .from_(exp.to_table(table))
        .where(own)
    )
    return counts_from(member.definition, selection, periods, since=member.since)


def _source(rows: exp.Select) -> tuple[str, str]:
    """What decides which rows a scan reads: its table and its conditions."""
    source, where = rows.args.get("from_"), rows.args.get("where")
    return (source.sql("duckdb") if source is not None else "", where.sql("duckdb") if where is not None else "")


def _shared_columns(scan: Scan) -> dict[str, str]:
    """The period and dimension columns of a scan's rows, as SQL: two scans must agree on them."""
    assert isinstance(scan.rows, exp.Select)
    return {
        p.alias_or_name: p.unalias().sql("duckdb")
        for p in scan.rows.expressions
        if p.alias_or_name not in scan.row_values
    }


def _renamed(position: int, name: str) -> str:
    return f"_k{position}_{name}"


def _with_columns_renamed(aggregate: exp.Expr, renamed: dict[str, str]) -> exp.Expr:
    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in renamed:
            return exp.column(renamed[node.name], quoted=True)
        return node

    return aggregate.copy().transform(rename)
