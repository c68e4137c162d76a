"""CSV exports (survey tools, ticketing systems, HR systems): one file or a glob of files."""

from __future__ import annotations

import csv
import difflib
import io
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import Field
from sqlglot import exp

from connectors import sql
from connectors.base import RawReject, SourceBase, SourceReader, StagedInput
from core.errors import ConnectorError, Problem

DEFAULT_NULLS = ("", "n/a", "N/A", "NA", "null", "NULL", "-")


class CsvSourceSpec(SourceBase):
    """A CSV export. Dialect options are optional: DuckDB's sniffer fills in what is not set."""

    type: Literal["csv"]
    path: str = Field(description="A file, or a glob such as exports/*.csv, relative to config.yaml.")
    delimiter: str | None = Field(default=None, description="Field separator; sniffed if unset.")
    quote: str = '"'
    escape: str | None = None
    encoding: Literal["utf-8", "latin-1", "utf-16"] = "utf-8"
    skip_rows: int = Field(default=0, ge=0, description="Lines to skip before the header.")
    null_values: tuple[str, ...] = Field(default=DEFAULT_NULLS, description="Values read as blank (not an answer).")
    timestamp_format: str | None = Field(
        default=None, description="strptime format of time stamps, e.g. '%d/%m/%Y %H:%M'."
    )
    date_format: str | None = None


class CsvReader(SourceReader):
    spec: CsvSourceSpec

    def inputs(self) -> list[Path]:
        pattern = self.spec.path
        base = self.root
        matches = sorted(p for p in base.glob(pattern) if p.is_file()) if _is_glob(pattern) else []
        if not _is_glob(pattern):
            path = base / pattern
            if not path.is_file():
                raise ConnectorError(
                    Problem(
                        f"file not found: {path}",
                        subject=self.name,
                        fix="check 'path:' in config.yaml (it is relative to config.yaml)",
                    )
                )
            matches = [path]
        if not matches:
            raise ConnectorError(
                Problem(
                    f"no file matches {pattern!r} in {base}",
                    subject=self.name,
                    fix="check 'path:' in config.yaml, or export the files first",
                )
            )
        return matches

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, staging_table: str) -> StagedInput:
        header, delimiter = self._header(path)
        typed = {name: "VARCHAR" for name in header}
        selected: list[exp.Expr] = []
        for target, column in self.spec.columns.items():
            source = column.source_name(target)
            if source not in typed:
                raise ConnectorError(self._missing_column(path, source, header))
            typed[source] = column.duckdb_type
            selected.append(exp.alias_(sql.column(source), exp.to_identifier(target, quoted=True)))
        rejects_table = f"{staging_table}_errors"
        rejects_scan = f"{staging_table}_scans"
        options = self._dialect() | {
            "delim": delimiter,
            "auto_detect": False,
            "header": True,
            "columns": typed,
            "store_rejects": True,
            "rejects_table": rejects_table,
            "rejects_scan": rejects_scan,
        }
        reader = exp.ReadCSV(this=exp.Literal.string(str(path)), expressions=sql.named_args(options))
        query = exp.select(*selected).from_(reader)
        create = exp.Create(
            this=sql.table(staging_table),
            kind="TABLE",
            expression=query,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        try:
            con.execute(sql.to_sql(create))
        except duckdb.Error as err:
            raise ConnectorError(self._read_failure(path, err)) from err
        loaded = _count(con, staging_table)
        rejects = _raw_rejects(con, rejects_table)
        con.execute(sql.drop_table(rejects_table))
        con.execute(sql.drop_table(rejects_scan))
        rejected_lines = {reject.line for reject in rejects}
        return StagedInput(
            path=path,
            staging_table=staging_table,
            rows_read=loaded + len(rejected_lines),
            first_data_line=self.spec.skip_rows + 2,
            rejects=rejects,
        )

    def _dialect(self) -> dict[str, sql.Value]:
        spec = self.spec
        return {
            "delim": spec.delimiter,
            "quote": spec.quote,
            "escape": spec.escape,
            "encoding": spec.encoding,
            "skip": spec.skip_rows or None,
            "nullstr": list(spec.null_values),
            "timestampformat": spec.timestamp_format,
            "dateformat": spec.date_format,
        }

    def _header(self, path: Path) -> tuple[list[str], str]:
        """The column names on the header line, and the delimiter (as configured, or sniffed)."""
        try:
            with path.open(encoding=self.spec.encoding, newline="") as handle:
                for _ in range(self.spec.skip_rows):
                    handle.readline()
                sample = handle.read(64 * 1024)
        except (UnicodeDecodeError, OSError) as err:
            raise ConnectorError(self._read_failure(path, err)) from err
        delimiter = self.spec.delimiter or self._sniff_delimiter(path, sample)
        quote = self.spec.quote or '"'
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar=quote), [])
        names = [name.lstrip("\ufeff") for name in first]
        if not names:
            raise ConnectorError(
                Problem(
                    f"{path.name} is empty: no header line",
                    subject=self.name,
                    fix="export the file again, or set skip_rows if the header comes later",
                )
            )
        return names, delimiter

    def _sniff_delimiter(self, path: Path, sample: str) -> str:
        try:
            return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error as err:
            raise ConnectorError(
                Problem(
                    f"{path.name}: could not detect the delimiter ({err})",
                    subject=self.name,
                    fix="set 'delimiter:' for this source in config.yaml (e.g. ',' or ';')",
                )
            ) from err

    def _missing_column(self, path: Path, source: str, header: list[str]) -> Problem:
        close = difflib.get_close_matches(source, header, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(
            f"{path.name} has no column {source!r}",
            subject=self.name,
            fix=f"{hint}columns in the file: {', '.join(header)}",
        )

    def _read_failure(self, path: Path, err: Exception) -> Problem:
        text = str(err).splitlines()[0]
        if "encoding" in text.lower() or "unicode" in text.lower():
            fix = "set 'encoding:' for this source (utf-8, latin-1 or utf-16)"
        else:
            fix = "check the file, or set delimiter/quote/skip_rows for this source in config.yaml"
        return Problem(f"could not read {path.name}: {text}", subject=self.name, fix=fix)


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(sql.to_sql(exp.select("count(*)").from_(sql.table(table)))).fetchall()
    return int(rows[0][0])


def _raw_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str) -> list[RawReject]:
    query = (
        exp.select("line", "column_name", "error_type", "error_message", "csv_line")
        .from_(sql.table(rejects_table))
        .order_by("line")
    )
    rows = con.execute(sql.to_sql(query)).fetchall()
    return [
        RawReject(
            line=int(line) if line is not None else None,
            column=column_name,
            reason=f"{error_type}: {message}",
            original=original,
        )
        for line, column_name, error_type, message, original in rows
    ]
