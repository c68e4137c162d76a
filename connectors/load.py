"""Load one source into its table: idempotent per file, every row accounted for, all or nothing.

For each input file the loader compares its checksum with the one loaded before: an unchanged
file is skipped, a changed one replaces its earlier rows, a new one is added. The reader parses the
file into a staging table; the loader applies the column checks, moves refused rows to
`meta.rejects` with file, line and reason, inserts the rest with lineage columns, and writes one
row to `meta.loads`. The whole source is one transaction: a failure leaves its previous rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from connectors import sql
from connectors.base import SourceBase, StagedInput
from connectors.columns import ColumnSpec
from connectors.registry import reader_for
from core.errors import ConnectorError, Problem

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS = {"_source": "VARCHAR", "_file": "VARCHAR", "_load_id": "VARCHAR"}
STAGING = "_staging"

ProgressFn = Callable[[str], None]


@dataclass
class FileLoad:
    file: str
    checksum: str
    action: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0


@dataclass
class LoadResult:
    """What one source's load did; `error` is set when it failed and changed nothing."""

    source: str
    load_id: str
    files: list[FileLoad] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        return "ok" if any(f.action != "unchanged" for f in self.files) else "unchanged"

    def summary(self) -> str:
        if self.error is not None:
            return f"{self.source}: FAILED, previous data kept. {self.error}"
        if self.status == "unchanged":
            return f"{self.source}: unchanged ({len(self.files)} file(s) already loaded)"
        rate = self.rows_read / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.source}: {self.rows_loaded:,} rows loaded, {self.rows_rejected:,} rejected "
            f"from {sum(f.action != 'unchanged' for f in self.files)} file(s) "
            f"in {self.seconds:.1f}s ({rate:,.0f} rows/s)"
        )


def load_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: SourceBase,
    *,
    root: Path,
    refresh_id: str,
    default_timezone: str,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load source `name` into raw.<table> on `con`, in one transaction."""
    result = LoadResult(source=name, load_id=f"{refresh_id}:{name}")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"SET TimeZone = {_string(spec.timezone or default_timezone)}")
        _load_files(con, name, spec, root, result, progress)
        result.seconds = time.perf_counter() - clock
        _log_load(con, spec, result, started)
        con.execute("COMMIT")
    except (ConnectorError, duckdb.Error) as err:
        con.execute("ROLLBACK")
        result.error = str(err) if isinstance(err, ConnectorError) else _database_failure(name, err)
        result.files = []
        result.seconds = time.perf_counter() - clock
        _log_load(con, spec, result, started)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("SET TimeZone = 'UTC'")
    return result


def _database_failure(name: str, err: duckdb.Error) -> str:
    return str(
        Problem(
            f"DuckDB could not load it: {str(err).splitlines()[0]}",
            subject=name,
            fix="check the source's columns and types in config.yaml",
        )
    )


def _load_files(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: SourceBase,
    root: Path,
    result: LoadResult,
    progress: ProgressFn | None,
) -> None:
    reader = reader_for(name, spec, root)
    inputs = reader.inputs()
    _ensure_table(con, name, spec)
    loaded_before = _loaded_checksums(con, name)
    for path in inputs:
        relative = _relative(path, root)
        checksum = file_checksum(path)
        previous = loaded_before.get(relative)
        if previous == checksum:
            result.files.append(FileLoad(relative, checksum, "unchanged"))
            continue
        if progress is not None:
            progress(f"{name}: reading {relative}")
        if previous is not None:
            _forget_file(con, name, spec.table, relative)
        staged = reader.stage(con, path, STAGING)
        action = "replaced" if previous is not None else "loaded"
        file_load = FileLoad(relative, checksum, action, rows_read=staged.rows_read)
        _accept_staged(con, name, spec, staged, file_load, result.load_id)
        result.files.append(file_load)
        con.execute(sql.drop_table(STAGING))


def _accept_staged(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: SourceBase,
    staged: StagedInput,
    file_load: FileLoad,
    load_id: str,
) -> None:
    """Refuse rows failing the column checks, then insert the rest with lineage columns."""
    file = file_load.file
    rejects: list[tuple[Any, ...]] = [
        (load_id, name, spec.table, file, r.line, r.column, r.reason, r.original) for r in staged.rejects
    ]
    reason = _check_reason(spec.columns)
    if reason is not None:
        failing = con.execute(
            sql.to_sql(
                exp.select(
                    # rowids of a new table count up from an offset in insertion (= file) order
                    exp.Sub(
                        this=exp.column("rowid"),
                        expression=exp.select("min(rowid)").from_(sql.table(STAGING)).subquery(),
                    ),
                    exp.alias_(reason, "reason"),
                    exp.alias_(exp.func("to_json", sql.column(STAGING)), "original"),
                )
                .from_(sql.table(STAGING))
                .where(exp.NEQ(this=reason.copy(), expression=exp.Literal.string("")))
                .order_by("rowid")
            )
        ).fetchall()
        if failing:
            reader_lines = sorted({r.line for r in staged.rejects if r.line is not None})
            lines = accepted_lines([row[0] for row in failing], reader_lines, staged.first_data_line)
            for (_, why, original), line in zip(failing, lines, strict=True):
                column = why.split(":", 1)[0]
                rejects.append((load_id, name, spec.table, file, line, column, why, original))
            con.execute(
                sql.to_sql(
                    exp.delete(sql.table(STAGING)).where(exp.NEQ(this=reason.copy(), expression=exp.Literal.string("")))
                )
            )
    lineage = [
        exp.alias_(exp.Literal.string(value), key)
        for key, value in {"_source": name, "_file": file, "_load_id": load_id}.items()
    ]
    insert = exp.Insert(
        this=sql.table(spec.table, RAW_SCHEMA),
        expression=exp.select(exp.Star(), *lineage).from_(sql.table(STAGING)),
        by_name=True,
    )
    con.execute(sql.to_sql(insert))
    loaded = _scalar(con, exp.select("count(*)").from_(sql.table(STAGING)))
    if rejects:
        con.executemany("INSERT INTO meta.rejects VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rejects)
    con.execute(
        "INSERT INTO meta.files VALUES (?, ?, ?, ?, ?)",
        [name, file, file_load.checksum, load_id, loaded],
    )
    file_load.rows_loaded = loaded
    file_load.rows_rejected = staged.rows_read - loaded


def _check_reason(columns: dict[str, ColumnSpec]) -> exp.Expr | None:
    """A SQL expression giving why a row fails its column checks ('' when it passes)."""
    reasons: list[exp.Expr] = []
    for target, column in columns.items():
        ref = sql.column(target)
        as_text = exp.cast(ref.copy(), "VARCHAR")
        if column.required:
            reasons.append(_when(exp.Is(this=ref.copy(), expression=exp.null()), f"{target}: blank, but required"))
        bounds: list[exp.Expr] = []
        if column.min is not None:
            bounds.append(exp.LT(this=ref.copy(), expression=exp.Literal.number(column.min)))
        if column.max is not None:
            bounds.append(exp.GT(this=ref.copy(), expression=exp.Literal.number(column.max)))
        if bounds:
            span = f"{_number(column.min)}..{_number(column.max)}"
            message = exp.DPipe(
                this=exp.DPipe(this=exp.Literal.string(f"{target}: "), expression=as_text),
                expression=exp.Literal.string(f" is outside {span}"),
            )
            reasons.append(exp.Case(ifs=[exp.If(this=exp.or_(*bounds), true=message)]))
        if column.allowed is not None:
            allowed = [exp.Literal.string(v) for v in column.allowed]
            outside = exp.not_(exp.In(this=as_text.copy(), expressions=allowed))
            message = exp.DPipe(
                this=exp.DPipe(this=exp.Literal.string(f"{target}: "), expression=as_text.copy()),
                expression=exp.Literal.string(f" is not one of {', '.join(column.allowed)}"),
            )
            reasons.append(exp.Case(ifs=[exp.If(this=outside, true=message)]))
    if not reasons:
        return None
    # Anonymous: sqlglot would otherwise rewrite concat_ws into a NULL-propagating CASE.
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string("; "), *reasons])


def _when(condition: exp.Expr, message: str) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.string(message))])


def accepted_lines(ordinals: list[int], rejected_lines: list[int], first_line: int) -> list[int]:
    """File line (record) numbers of accepted rows, given their 0-based order among accepted rows.

    The reader numbers records as a spreadsheet does (the header is line 1) and skips the ones it
    refused, so the k-th accepted row sits at the k-th line, from `first_line` on, that was not
    refused. Both lists must be sorted.
    """
    lines: list[int] = []
    skipped = 0
    for ordinal in ordinals:
        line = first_line + ordinal + skipped
        while skipped < len(rejected_lines) and rejected_lines[skipped] <= line:
            skipped += 1
            line = first_line + ordinal + skipped
        lines.append(line)
    return lines


def file_checksum(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()[:32]


def _ensure_table(con: duckdb.DuckDBPyConnection, name: str, spec: SourceBase) -> None:
    """Create raw.<table>, or add the columns this source brings that it does not have yet."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    wanted = {target: column.duckdb_type for target, column in spec.columns.items()}
    existing = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [RAW_SCHEMA, spec.table],
        ).fetchall()
    )
    if not existing:
        columns = [
            exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(t))
            for c, t in (wanted | LINEAGE_COLUMNS).items()
        ]
        schema = exp.Schema(this=sql.table(spec.table, RAW_SCHEMA), expressions=columns)
        con.execute(sql.to_sql(exp.Create(this=schema, kind="TABLE")))
        return
    for column, sql_type in wanted.items():
        have = existing.get(column)
        if have is None:
            con.execute(
                f"ALTER TABLE {RAW_SCHEMA}.{spec.table} ADD COLUMN {sql.column(column).sql('duckdb')} {sql_type}"
            )
        elif exp.DataType.build(have, dialect="duckdb") != exp.DataType.build(sql_type, dialect="duckdb"):
            raise ConnectorError(
                Problem(
                    f"column {column!r} of table {spec.table!r} is {have}, but this source declares it {sql_type}",
                    subject=name,
                    fix="declare the same type in every source feeding this table, "
                    "or rebuild with `python cli.py refresh --full`",
                )
            )


def _loaded_checksums(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    rows = con.execute("SELECT file, checksum FROM meta.files WHERE source = ?", [name]).fetchall()
    return {file: checksum for file, checksum in rows}


def _forget_file(con: duckdb.DuckDBPyConnection, name: str, table: str, file: str) -> None:
    """Remove what an earlier version of a file brought in, before loading the new version."""
    delete = exp.delete(sql.table(table, RAW_SCHEMA)).where(
        exp.and_(
            exp.EQ(this=exp.column("_source"), expression=exp.Literal.string(name)),
            exp.EQ(this=exp.column("_file"), expression=exp.Literal.string(file)),
        )
    )
    con.execute(sql.to_sql(delete))
    con.execute("DELETE FROM meta.rejects WHERE source = ? AND file = ?", [name, file])
    con.execute("DELETE FROM meta.files WHERE source = ? AND file = ?", [name, file])


def _log_load(con: duckdb.DuckDBPyConnection, spec: SourceBase, result: LoadResult, started: datetime) -> None:
    files = [
        {
            "file": f.file,
            "checksum": f.checksum,
            "action": f.action,
            "rows_read": f.rows_read,
            "rows_loaded": f.rows_loaded,
            "rows_rejected": f.rows_rejected,
        }
        for f in result.files
    ]
    con.execute(
        "INSERT INTO meta.loads SELECT ?, ?, ?, ?, ?, from_json(?, "
        '\'[{"file":"VARCHAR","checksum":"VARCHAR","action":"VARCHAR",'
        '"rows_read":"BIGINT","rows_loaded":"BIGINT","rows_rejected":"BIGINT"}]\'), '
        "?, ?, ?, ?, now(), ?, ?",
        [
            result.load_id,
            result.load_id.split(":", 1)[0],
            result.source,
            spec.type,
            spec.table,
            json.dumps(files),
            result.rows_read,
            result.rows_loaded,
            result.rows_rejected,
            started,
            result.status,
            result.error,
        ],
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _scalar(con: duckdb.DuckDBPyConnection, query: exp.Expr) -> int:
    rows = con.execute(sql.to_sql(query)).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _string(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
