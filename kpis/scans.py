"""KPIs that read the same rows of the same table share one scan of it.

Every KPI compiles to a query of its own (what `show-sql` prints and an analyst can run). When
several KPIs are aggregated from scratch and read the same rows (same table, same filter, the same
periods and dimensions where they overlap), one query computes all their aggregates over the union
of their grouping sets into a TEMP table, and each KPI's counts are selected from it. A KPI's rows
there are exactly those of its own query (same rows, same groups, same aggregate expressions; see
tests/kpis/test_scans.py); the table is read, and each row's periods computed, once instead of
once per KPI. An aggregate several members compute alike (the loop-closure KPIs' sorted closing
times) is computed once.

KPIs whose rows are a UNION ALL of several sources share a scan with KPIs whose rows are the very
same union (the two loop-closure KPIs: closed cases and cases due). Failing that, one that only
counts (experience balance: surveys and reviews) shares each source's scan as a part: its counts
are the sum, per key, of its parts' counts, each part from a shared scan or from a query of its own.
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


@dataclass(frozen=True)
class _Member:
    """A KPI's scan in a group: its whole scan, or one part (one source) of it."""

    kpi: CompiledKpi
    scan: Scan
    part: int | None = None


@dataclass
class _Group:
    """Scans that read the same rows; each one's row values and aggregates renamed apart.

    When the rows are a union of several sources, every member's rows are that same union, and
    its row values are not renamed (they are the same values).
    """

    rows: exp.Query
    members: list[_Member] = field(default_factory=list)
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

    def add(self, member: _Member) -> None:
        self.members.append(member)
        if self.one_select:
            self.shared_columns |= _shared_columns(member.scan)


@dataclass(frozen=True)
class SharedScan:
    table: str
    kpis: tuple[str, ...]
    seconds: float


@dataclass
class SharedCounts:
    """The counts queries of KPIs computed in a shared scan, by KPI name."""

    queries: dict[str, exp.Query] = field(default_factory=dict)
    scans: dict[str, list[SharedScan]] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)

    def query(self, kpi: str) -> exp.Query | None:
        return self.queries.get(kpi)

    def partners(self, kpi: str) -> tuple[str, ...]:
        """The other KPIs in the scans this one's counts come from."""
        kpis = [k for scan in self.scans.get(kpi, []) for k in scan.kpis]
        return tuple(k for k in dict.fromkeys(kpis) if k != kpi)

    def seconds(self, kpi: str) -> float:
        """Each KPI's share of the time its scans took."""
        return sum(scan.seconds / len(set(scan.kpis)) for scan in self.scans.get(kpi, []))

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in self.tables:
            con.execute(f"DROP TABLE IF EXISTS {exp.to_identifier(table).sql('duckdb')}")


def share(con: duckdb.DuckDBPyConnection, compiled: Sequence[CompiledKpi], periods: PeriodSettings) -> SharedCounts:
    """Run one query per group of KPIs reading the same rows; KPIs alone in theirs are left out.

    A group whose query fails when it runs is left out too: each of its KPIs then runs its own
    query, so that the failure is reported against the KPI that causes it.
    """
    shared = SharedCounts()
    parts: dict[str, dict[int, exp.Select]] = {}  # KPI -> its parts counted in a shared scan
    failed: set[str] = set()  # KPIs with a part in a shared scan that failed
    for index, group in enumerate(_groups(compiled)):
        table = f"{TEMP_PREFIX}_{index}"
        started = time.perf_counter()
        aggregates, columns_by_member = _fused_aggregates(group)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {fused_query(group, aggregates).sql('duckdb')}")
            shared.tables.append(table)
        except duckdb.Error:
            failed |= {m.kpi.definition.name for m in group.members if m.part is not None}
            continue
        scan = SharedScan(table, tuple(m.kpi.definition.name for m in group.members), time.perf_counter() - started)
        for member, columns in zip(group.members, columns_by_member, strict=True):
            name = member.kpi.definition.name
            selection = _selection(member.scan, columns, table)
            if member.part is None:
                shared.queries[name] = counts_from(member.kpi.definition, selection, periods, since=member.kpi.since)
            else:
                parts.setdefault(name, {})[member.part] = selection
            shared.scans.setdefault(name, []).append(scan)
    for kpi in compiled:
        name = kpi.definition.name
        if name in parts and name not in failed:
            shared.queries[name] = counts_from(kpi.definition, _added(kpi, parts[name]), periods, since=kpi.since)
        elif name in parts:
            del shared.scans[name]
    return shared


def _groups(compiled: Sequence[CompiledKpi]) -> list[_Group]:
    """Groups of two scans or more: whole scans first, then the parts of KPIs left alone."""
    groups: list[_Group] = []

    def place(member: _Member) -> _Group:
        group = next((g for g in groups if g.accepts(member.scan)), None)
        if group is None:
            group = _Group(member.scan.rows)
            groups.append(group)
        group.add(member)
        return group

    alone: list[tuple[CompiledKpi, _Group]] = []
    for kpi in compiled:
        if kpi.scan is not None:
            alone.append((kpi, place(_Member(kpi, kpi.scan))))
    for kpi, group in alone:
        if kpi.parts and len(group.members) == 1:
            groups.remove(group)
            placed = [place(_Member(kpi, scan, part)) for part, scan in enumerate(kpi.parts)]
            if all(len(g.members) == 1 for g in placed):  # shares nothing: back to its own query
                for g in placed:
                    groups.remove(g)
                groups.append(group)
    return [g for g in groups if len(g.members) > 1]


def fused_query(group: _Group, aggregates: dict[str, exp.Expr]) -> exp.Select:
    """All members' `aggregates` (see `_fused_aggregates`) over the union of their grouping sets, in one scan."""
    grains: list[Grain] = []
    dimensions: list[str] = []
    projections: dict[str, exp.Expr] = {}
    for position, member in enumerate(group.members):
        scan = member.scan
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
    return grouped(rows, ordered, tuple(dimensions), aggregates)


def _fused_aggregates(group: _Group) -> tuple[dict[str, exp.Expr], list[dict[str, str]]]:
    """The fused query's aggregates by column, and for each member its aggregates' columns by name.

    Members' aggregates are renamed apart (`_k<position>_<name>`), except that one computed alike by
    an earlier member (the same expression on the same row values) is that member's column.
    """
    aggregates: dict[str, exp.Expr] = {}
    by_sql: dict[str, str] = {}
    columns: list[dict[str, str]] = []
    for position, member in enumerate(group.members):
        renamed = _row_values_renamed(group, position)
        own: dict[str, str] = {}
        for name, aggregate in member.scan.aggregates.items():
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
    return {value: _renamed(position, value) for value in scan.row_values} if group.one_select else {}


def _selection(scan: Scan, columns: dict[str, str], table: str) -> exp.Select:
    """A member's aggregates under their own names, only for its own grains and dimensions."""
    own = exp.and_(
        exp.In(this=exp.column("grain"), expressions=[exp.Literal.string(g) for g in scan.grains]),
        exp.In(
            this=exp.column("dimension"),
            expressions=[exp.Literal.string(d) for d in (TOTAL_DIMENSION, *scan.dimensions)],
        ),
    )
    return (
        exp.select(
            *KEYS,
            *(exp.alias_(exp.column(columns[name], quoted=True), name, quoted=True) for name in scan.aggregates),
        )
        .from_(exp.to_table(table))
        .where(own)
    )


def _added(kpi: CompiledKpi, shared_parts: dict[int, exp.Select]) -> exp.Select:
    """A KPI's counts per key as the sum of its parts' counts (a part not shared: its own query)."""
    selections: list[exp.Query] = []
    for index, part in enumerate(kpi.parts):
        if index in shared_parts:
            selections.append(shared_parts[index])
        else:
            selections.append(grouped(part.rows, part.grains, part.dimensions, part.aggregates))
    union = selections[0]
    for selection in selections[1:]:
        union = exp.union(union, selection, distinct=False)
    names = list(kpi.parts[0].aggregates)
    return (
        exp.select(
            *KEYS,
            *(exp.alias_(exp.cast(exp.Sum(this=exp.column(n, quoted=True)), "BIGINT"), n, quoted=True) for n in names),
        )
        .from_(exp.alias_(exp.Subquery(this=union), "parts"))
        .group_by(*KEYS)
    )


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
