"""Load one source into its table: idempotent per file, every row accounted for, all or nothing.

For each input file the loader compares its checksum with the one loaded before: an unchanged
file is skipped, a changed one replaces its earlier rows, a new one is added. The reader hands over
each input as a relation (a scan of a CSV file, or a staging table); the loader reads it twice:
one INSERT writes the rows that pass the column checks, converted once, with lineage columns;
one query finds the refused rows, which go to `meta.rejects` with file, line and reason. Then
one row goes to `meta.loads`. The whole source is one transaction: a failure leaves its previous rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from connectors import convert, pseudonymise, sql
from connectors.alongside import LoadSession, reading_alongside
from connectors.base import RawReject, SourceBase, StagedInput
from connectors.files import same_content
from connectors.registry import reader_for
from connectors.staging import LINE_COLUMN
from core.ddl import comment_on
from core.errors import ConnectorError, Problem

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS = {"_source": "VARCHAR", "_file": "VARCHAR", "_load_id": "VARCHAR"}
LINEAGE_COMMENTS = {
    "_source": "Name of the source (config.yaml) that loaded the row.",
    "_file": "File (or database table) the row was read from.",
    "_load_id": "Load that wrote the row; see meta.loads.",
}
KEYED_TABLE = "_keyed"
ORDINAL = "_ordinal"
REASON = "_reason"
SETTINGS_MARK = "|settings:"

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
        timezone = spec.timezone or default_timezone
        con.execute(f"SET TimeZone = {_string(timezone)}")
        _load_files(con, name, spec, root, result, progress, timezone=timezone)
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
    *,
    timezone: str,
) -> None:
    reader = reader_for(name, spec, root)
    inputs = reader.inputs()
    _ensure_table(con, name, spec)
    key = pseudonymise.key_for(name, spec, root) if spec.pseudonymise else None
    if key is not None:
        pseudonymise.create_macro(con, key)
    session = LoadSession(timezone, key)
    loaded_before = _loaded_checksums(con, name)
    settings = spec_fingerprint(spec)
    for index, item in enumerate(inputs, start=1):
        stored = loaded_before.get(item.label)
        previous, _, previous_settings = (stored or "").rpartition(SETTINGS_MARK)
        same_settings = stored is not None and previous_settings == settings
        checksum = f"{reader.checksum(con, item, previous if same_settings else None)}{SETTINGS_MARK}{settings}"
        if stored is not None and same_content(stored, checksum):
            if stored != checksum:  # the same content with a new stat hint: remember it, to skip reading it next time
                con.execute(
                    "UPDATE meta.files SET checksum = ? WHERE source = ? AND file = ?", [checksum, name, item.label]
                )
            result.files.append(FileLoad(item.label, checksum, "unchanged"))
            continue
        if progress is not None:
            progress(f"{name}: reading {item.label} (file {index} of {len(inputs)})")
        file_clock = time.perf_counter()
        incremental = reader.incremental and same_settings
        if stored is not None and not incremental:
            _forget_file(con, name, spec.table, item.label)
        action = "loaded" if stored is None else ("updated" if incremental else "replaced")
        file_load = FileLoad(item.label, checksum, action)
        with reader.staged(con, item) as staged:
            _accept_staged(con, name, spec, staged, file_load, result.load_id, session=session, incremental=incremental)
        result.files.append(file_load)
        if progress is not None:
            seconds = time.perf_counter() - file_clock
            rate = file_load.rows_read / seconds if seconds > 0 else 0.0
            progress(
                f"{name}: file {index} of {len(inputs)}, {item.label}: {file_load.rows_loaded:,} rows loaded, "
                f"{file_load.rows_rejected:,} rejected ({rate:,.0f} rows/s)"
            )
    if spec.pseudonymise:
        pseudonymise.drop_macro(con)


def spec_fingerprint(spec: SourceBase) -> str:
    """Changes when the source's settings change, so that its inputs are read again with them."""
    settings = spec.model_dump(mode="json", exclude={"description"})
    return hashlib.blake2b(json.dumps(settings, sort_keys=True).encode(), digest_size=8).hexdigest()


def _accept_staged(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: SourceBase,
    staged: StagedInput,
    file_load: FileLoad,
    load_id: str,
    *,
    session: LoadSession,
    incremental: bool,
) -> None:
    """Write the rows that pass the column checks, each converted once; record the others as rejects.

    Two reads of the input: one INSERT of the rows that pass (which also collects the reader's
    own rejects), and one query for the refused rows, with their reasons and original values,
    run alongside the INSERT on a second connection when the input allows. Neither copies the input.
    """
    file = file_load.file
    try:
        converted = _converted(con, spec, staged)
        duplicates = _has_duplicate_keys(con, spec, staged, converted)
        lineage = {"_source": name, "_file": file, "_load_id": load_id}
        selected = [
            exp.alias_(value, exp.to_identifier(target, quoted=True)) for target, value in converted.values.items()
        ]
        selected += [exp.alias_(exp.Literal.string(value), key) for key, value in lineage.items()]
        accepted = _passing(spec, staged, converted, duplicates=duplicates).select(*selected, append=False)
        query = _refused_query(spec, staged, converted, duplicates=duplicates)
        write = (
            partial(_upsert, con, name, spec, accepted) if spec.primary_key else partial(_insert, con, spec, accepted)
        )
        if query is None:
            loaded, found = write(), []
        elif staged.check_on_any_connection:
            with reading_alongside(con, session, sql.to_sql(query)) as pending:
                loaded = write()
            found = pending.result()
        else:
            loaded = write()
            found = con.execute(sql.to_sql(query)).fetchall()
        reader_rejects = staged.reader_rejects()
        refused = [
            (int(ordinal), int(line_no) if line_no is not None else None, str(why), str(original))
            for ordinal, line_no, why, original in found
        ]
    except duckdb.Error as err:
        if staged.read_failure is None:
            raise
        raise ConnectorError(staged.read_failure(err)) from err
    rejects = [(load_id, name, spec.table, file, r.line, r.column, r.reason, r.original) for r in reader_rejects]
    rejects += [
        (load_id, name, spec.table, file, line, column, why, original)
        for line, column, why, original in _with_lines(refused, staged, reader_rejects)
    ]
    if rejects:
        _insert_rejects(con, rejects)
    if incremental:
        con.execute("DELETE FROM meta.files WHERE source = ? AND file = ?", [name, file])
    con.execute(
        "INSERT INTO meta.files VALUES (?, ?, ?, ?, ?)",
        [name, file, file_load.checksum, load_id, _rows_of(con, name, spec.table, file)],
    )
    # a line the reader refused counts once, however many of its fields were wrong
    file_load.rows_read = loaded + len(refused) + len({r.line for r in reader_rejects})
    file_load.rows_loaded = loaded
    file_load.rows_rejected = file_load.rows_read - loaded


@dataclass(frozen=True)
class _Converted:
    """Each target column converted, and why a row is refused, over `layer(input)`.

    A conversion that is more than a column (a cast, a parsed time stamp) is computed once per row,
    as a column of the layer (`_cv_<n>`): the checks, the WHERE and the values written all read it.
    Written inline, DuckDB parsed a text time stamp up to four times per row.
    """

    values: dict[str, exp.Expr]
    reason: exp.Expr
    columns: dict[str, exp.Expr] = field(default_factory=dict)

    def layer(self, scan: exp.Expr, *extra: exp.Expr) -> exp.Expr:
        """The input's rows with the conversions' columns (and `extra` ones) beside their own."""
        if not self.columns and not extra:
            return scan
        computed = [exp.alias_(value.copy(), alias, quoted=True) for alias, value in self.columns.items()]
        return exp.select(exp.Star(), *computed, *extra).from_(scan).subquery("_converted")


def _converted(con: duckdb.DuckDBPyConnection, spec: SourceBase, staged: StagedInput) -> _Converted:
    """Each target column as an expression on the input's columns, and why a row is refused."""
    describe = exp.select("*").from_(staged.check_scan()).limit(0)
    staged_types = {str(row[0]): str(row[1]) for row in con.execute("DESCRIBE " + sql.to_sql(describe)).fetchall()}
    values: dict[str, exp.Expr] = {}
    columns: dict[str, exp.Expr] = {}
    reasons: list[exp.Expr] = []
    key = set(spec.primary_key or ())
    for target, column in spec.columns.items():
        value, failed = convert.conversion(target, column, staged_types[target])
        if not isinstance(value, exp.Column):
            alias = f"_cv_{len(columns)}"
            columns[alias] = value
            value, failed = _computed_once(value, alias, failed)
        if failed is not None:
            reasons.append(failed)
        reasons += convert.check_reasons(target, column, value, required=column.required or target in key)
        values[target] = pseudonymise.hashed(value) if target in spec.pseudonymise else value
    return _Converted(values, convert.joined(reasons), columns)


def _computed_once(value: exp.Expr, alias: str, failed: exp.Expr | None) -> tuple[exp.Expr, exp.Expr | None]:
    """The layer's column `alias` for `value`, and `failed` reading that column instead of `value`."""
    column = exp.column(alias, quoted=True)
    if failed is None:
        return column, None
    text = value.sql("duckdb")
    return column, failed.transform(lambda node: column.copy() if node.sql("duckdb") == text else node)


def _has_duplicate_keys(
    con: duckdb.DuckDBPyConnection, spec: SourceBase, staged: StagedInput, converted: _Converted
) -> bool:
    """Whether two rows may share a primary key: a cheap aggregate on the key columns alone.

    Only then does the loader number the rows and look for the last copy of each key; rows
    refused for another reason may still be among those found here, which the window then sorts out.
    """
    if not spec.primary_key:
        return False
    keys = [converted.values[k].copy() for k in spec.primary_key]
    repeated = (
        exp.select("1")
        .from_(converted.layer(staged.check_scan()))
        .where(exp.and_(*[exp.Not(this=exp.Is(this=key.copy(), expression=exp.null())) for key in keys]))
        .group_by(*keys)
        .having("count(*) > 1")
        .limit(1)
    )
    return bool(con.execute(sql.to_sql(repeated)).fetchall())


def _numbered(scan: exp.Expr, staged: StagedInput, converted: _Converted) -> exp.Select:
    """The rows of `scan` with their ordinal (`_ordinal`) and why each is refused (`_reason`)."""
    # the ordinal beside the conversions, in the input's own SELECT: a staging table's rowid is there
    layer = converted.layer(scan, exp.alias_(staged.ordinal.copy(), ORDINAL))
    return exp.select(exp.Star(), exp.alias_(converted.reason.copy(), REASON)).from_(layer)


def _replaced(spec: SourceBase, values: dict[str, exp.Expr]) -> exp.Expr:
    """The ordinal of the last row that passes with this row's key: earlier copies are replaced."""
    later = convert.parse(f"max({ORDINAL}) FILTER (WHERE {REASON} = '') OVER ()")
    for window in later.find_all(exp.Window):
        window.set("partition_by", [values[k].copy() for k in spec.primary_key or ()])
    return later


def _passing(spec: SourceBase, staged: StagedInput, converted: _Converted, *, duplicates: bool) -> exp.Select:
    """FROM and WHERE of the rows that are written (select list left to the caller)."""
    if not duplicates:
        passes = exp.EQ(this=converted.reason.copy(), expression=exp.Literal.string(""))
        return exp.select("*").from_(converted.layer(staged.scan())).where(passes)
    # the last valid row of each key wins: an unordered partition max, no sort by key and ordinal
    numbered = _numbered(staged.scan(), staged, converted).subquery("_input")
    return (
        exp.select("*")
        .from_(numbered)
        .where(exp.EQ(this=exp.column(REASON), expression=exp.Literal.string("")))
        .qualify(exp.EQ(this=exp.column(ORDINAL), expression=_replaced(spec, converted.values)))
    )


def _refused_query(
    spec: SourceBase, staged: StagedInput, converted: _Converted, *, duplicates: bool
) -> exp.Select | None:
    """(ordinal, line or NULL, reason, original) of each refused row, in input order; None: none can be.

    A row is refused when a check fails, or when a later valid row of the input has its key.
    The original is JSON with pseudonymised columns already hashed.
    """
    if not duplicates and converted.reason == exp.Literal.string(""):
        return None  # no checks: nothing to refuse, and no need to read the input again
    why: exp.Expr = exp.column(REASON)
    if duplicates:
        duplicate = (
            f"duplicate primary key ({', '.join(spec.primary_key or ())}): a later row of this input replaces it"
        )
        why = exp.Case(
            ifs=[
                exp.If(this=exp.NEQ(this=exp.column(REASON), expression=exp.Literal.string("")), true=why),
                exp.If(
                    this=exp.GT(this=_replaced(spec, converted.values), expression=exp.column(ORDINAL)),
                    true=exp.Literal.string(duplicate),
                ),
            ],
            default=exp.Literal.string(""),
        )
    original = exp.func(
        "to_json",
        exp.Struct(
            expressions=[
                exp.PropertyEQ(
                    this=exp.to_identifier(target, quoted=True),
                    expression=pseudonymise.hashed(sql.column(target))
                    if target in spec.pseudonymise
                    else sql.column(target),
                )
                for target in spec.columns
            ]
        ),
    )
    line = exp.column(LINE_COLUMN) if staged.has_line_column else exp.null()
    flagged = exp.select(
        exp.column(ORDINAL),
        exp.alias_(line, "_line_no"),
        exp.alias_(why, "_why"),
        exp.alias_(exp.cast(original, "VARCHAR"), "_original"),
    ).from_(_numbered(staged.check_scan(), staged, converted).subquery("_input"))
    return exp.select("*").from_(flagged.subquery("f")).where("_why <> ''").order_by(ORDINAL)


def _with_lines(
    refused: list[tuple[int, int | None, str, str]], staged: StagedInput, reader_rejects: list[RawReject]
) -> list[tuple[int | None, str | None, str, str]]:
    """(line, column, reason, original) of each refused row: its line in the file, the column to blame."""
    if not refused:
        return []
    if staged.has_line_column:
        lines: list[int | None] = [line_no for _, line_no, _, _ in refused]
    else:
        reader_lines = sorted({r.line for r in reader_rejects if r.line is not None})
        lines = list(accepted_lines([ordinal for ordinal, _, _, _ in refused], reader_lines, staged.first_data_line))
    return [
        (line_no, why.split(":", 1)[0] if not why.startswith("duplicate") else None, why, original)
        for (_, _, why, original), line_no in zip(refused, lines, strict=True)
    ]


def _insert(con: duckdb.DuckDBPyConnection, spec: SourceBase, accepted: exp.Select) -> int:
    insert = exp.Insert(this=sql.table(spec.table, RAW_SCHEMA), expression=accepted, by_name=True)
    return _scalar(con, insert)


def _upsert(con: duckdb.DuckDBPyConnection, name: str, spec: SourceBase, accepted: exp.Select) -> int:
    """Replace this source's rows that have the same primary key, then insert; return how many."""
    target_rows = (
        exp.select("1")
        .from_(sql.table(spec.table, RAW_SCHEMA))
        .where(exp.EQ(this=exp.column("_source"), expression=exp.Literal.string(name)))
    )
    if not con.execute(sql.to_sql(target_rows.limit(1))).fetchall():
        # nothing of this source to replace (a first or full load): insert without the keyed copy
        return _insert(con, spec, accepted)
    keyed = KEYED_TABLE
    con.execute(
        sql.to_sql(
            exp.Create(
                this=sql.table(keyed),
                kind="TABLE",
                expression=accepted,
                replace=True,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            )
        )
    )
    same_key = exp.and_(
        *[
            exp.EQ(this=exp.column(k, table="n", quoted=True), expression=exp.column(k, table="r", quoted=True))
            for k in spec.primary_key or ()
        ]
    )
    target = sql.table(spec.table, RAW_SCHEMA)
    target.set("alias", exp.TableAlias(this=exp.to_identifier("r")))
    newer = exp.select("1").from_(exp.alias_(sql.table(keyed), "n", table=True)).where(same_key)
    delete = exp.delete(target).where(
        exp.and_(
            exp.EQ(this=exp.column("_source", table="r"), expression=exp.Literal.string(name)),
            exp.Exists(this=newer),
        )
    )
    con.execute(sql.to_sql(delete))
    loaded = _insert(con, spec, exp.select("*").from_(sql.table(keyed)))
    con.execute(sql.drop_table(keyed))
    return loaded


def _insert_rejects(con: duckdb.DuckDBPyConnection, rejects: list[tuple[Any, ...]]) -> None:
    names = ["load_id", "source", "target_table", "file", "line", "column_name", "reason", "original"]
    columns = list(zip(*rejects, strict=True))
    batch = pa.table(
        {
            n: pa.array(list(c), type=pa.int64() if n == "line" else pa.string())
            for n, c in zip(names, columns, strict=True)
        }
    )
    con.register("_rejects_batch", batch)
    try:
        con.execute("INSERT INTO meta.rejects BY NAME SELECT * FROM _rejects_batch")
    finally:
        con.unregister("_rejects_batch")


def _rows_of(con: duckdb.DuckDBPyConnection, name: str, table: str, file: str) -> int:
    query = (
        exp.select("count(*)")
        .from_(sql.table(table, RAW_SCHEMA))
        .where(
            exp.and_(
                exp.EQ(this=exp.column("_source"), expression=exp.Literal.string(name)),
                exp.EQ(this=exp.column("_file"), expression=exp.Literal.string(file)),
            )
        )
    )
    return _scalar(con, query)


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
        _document_table(con, name, spec, columns=list(wanted | LINEAGE_COLUMNS))
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
    _document_table(con, name, spec, columns=list(wanted))


def _document_table(con: duckdb.DuckDBPyConnection, name: str, spec: SourceBase, columns: list[str]) -> None:
    """Comment on raw.<table> and on the given columns, so analysts' tools say what each one means.

    Comments follow config.yaml: each load writes this source's current descriptions and checks.
    """
    if spec.description:
        text = f"{spec.description.rstrip('.')}. Loaded by source {name!r}."
        comment_on(con, "TABLE", f"{RAW_SCHEMA}.{spec.table}", text)
    for column in columns:
        text = LINEAGE_COMMENTS.get(column) or spec.columns[column].comment(column, name)
        comment_on(con, "COLUMN", f"{RAW_SCHEMA}.{spec.table}.{column}", text)


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


def _scalar(con: duckdb.DuckDBPyConnection, query: exp.Expr) -> int:
    rows = con.execute(sql.to_sql(query)).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _string(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")
