"""CSV exports (survey tools, ticketing systems, HR systems): one file or a glob of files."""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import Field
from sqlglot import exp

from connectors import convert, pseudonymise, sql
from connectors.base import RawReject, SourceInput, SourceReader, StagedInput
from connectors.columns import ColumnSpec
from connectors.files import FileSourceBase, matching_files, missing_column
from core.errors import ConnectorError, Problem

DEFAULT_NULLS = ("", "n/a", "N/A", "NA", "null", "NULL", "-")
Encoding = Literal["utf-8", "latin-1", "windows-1252", "utf-16"]
# DuckDB's own latin-1 and utf-16 decoders refuse valid files ("File is not latin-1 encoded" for bytes
# 0x80-0x9F, and utf-16 with characters outside the BMP), so only UTF-8 is left to DuckDB.
NATIVE_ENCODINGS = {"utf-8"}
SAMPLE_BYTES = 64 * 1024
REJECTS_PREFIX = "_csv_rejects"


class CsvSourceSpec(FileSourceBase):
    """A CSV export. Dialect options are optional: the delimiter is sniffed when it is not set."""

    type: Literal["csv"]
    delimiter: str | None = Field(default=None, description="Field separator; sniffed if unset.")
    quote: str = '"'
    escape: str | None = None
    encoding: Encoding = Field(default="utf-8", description="A UTF-8 byte-order mark is skipped whatever is set.")
    skip_rows: int = Field(default=0, ge=0, description="Lines to skip before the header.")
    header_rows_after: int = Field(
        default=0,
        ge=0,
        description="Rows after the header that are not data, e.g. 2 for a Qualtrics export "
        "(question texts, then import ids).",
    )
    decimal_separator: Literal[".", ","] = Field(default=".", description="',' for exports written as 7,5.")
    null_values: tuple[str, ...] = Field(default=DEFAULT_NULLS, description="Values read as blank (not an answer).")
    timestamp_format: str | None = Field(
        default=None, description="strptime format of time stamps, e.g. '%d/%m/%Y %H:%M'."
    )
    date_format: str | None = None


def read_type(column: ColumnSpec) -> str:
    """The type read_csv reads a column as; the loader converts it to the declared type."""
    if column.type == "integer":
        return "DOUBLE"  # read_csv would round 7.5 to 8: read a number, let the loader refuse fractions
    if column.formats and column.type in ("date", "timestamp"):
        return "VARCHAR"
    return column.duckdb_type


class CsvReader(SourceReader):
    spec: CsvSourceSpec

    def inputs(self) -> list[SourceInput]:
        return matching_files(self.name, self.spec.path, self.root)

    @contextmanager
    def staged(self, con: duckdb.DuckDBPyConnection, item: SourceInput) -> Iterator[StagedInput]:
        """Scans of the file itself, not a copy: the loader reads it once to write, once for rejects."""
        assert item.path is not None
        with self._utf8_copy(item.path) as (path, encoding):
            staged, rejects_tables = self._scan(con, item, path, encoding)
            yield staged
            # not on failure: the load's transaction is rolled back, and the tables with it
            for table in rejects_tables:
                con.execute(sql.drop_table(table))

    def _scan(
        self, con: duckdb.DuckDBPyConnection, item: SourceInput, path: Path, encoding: str
    ) -> tuple[StagedInput, list[str]]:
        header, delimiter = self._header(item, path, encoding)
        typed = {name: "VARCHAR" for name in header}
        selected: list[exp.Expr] = []
        for target, column in self.spec.columns.items():
            source = column.source_name(target)
            if source not in typed:
                raise ConnectorError(missing_column(self.name, Path(item.label).name, source, header))
            typed[source] = read_type(column)
            selected.append(exp.alias_(sql.column(source), exp.to_identifier(target, quoted=True)))
        options = self._dialect(encoding) | {
            "delim": delimiter,
            "auto_detect": False,
            # The header (and any rows after it) are skipped as records, so line numbers stay right.
            "header": False,
            "skip": self.spec.skip_rows + 1 + self.spec.header_rows_after,
            "columns": typed,
        }
        # Both scans keep the same rows. The one the loader writes from, which reads every column,
        # also records what the reader refused (store_rejects keeps the good rows too): once.
        rejects_table, rejects_scan = f"{REJECTS_PREFIX}_errors", f"{REJECTS_PREFIX}_scans"
        recording = options | {"store_rejects": True, "rejects_table": rejects_table, "rejects_scan": rejects_scan}

        def scan(read_options: dict[str, sql.Value]) -> exp.Expr:
            reader = exp.ReadCSV(this=exp.Literal.string(str(path)), expressions=sql.named_args(read_options))
            return exp.select(*[s.copy() for s in selected]).from_(reader).subquery("_csv")

        def reader_rejects() -> list[RawReject]:
            return self._scrubbed(_raw_rejects(con, rejects_table), header, delimiter)

        staged = StagedInput(
            relation=scan(recording),
            check_relation=scan(options | {"ignore_errors": True}),
            check_on_any_connection=True,
            # A streaming window: DuckDB reads the file in one thread for it, so rows are numbered in
            # file order. A parallel scan's order (even the rowids a CTAS gives) was seen to differ.
            ordinal=convert.parse("row_number() OVER () - 1"),
            first_data_line=self.spec.skip_rows + 2 + self.spec.header_rows_after,
            reader_rejects=reader_rejects,
            read_failure=lambda err: self._read_failure(item, err),
        )
        return staged, [rejects_table, rejects_scan]

    def _dialect(self, encoding: str) -> dict[str, sql.Value]:
        spec = self.spec
        return {
            "quote": spec.quote,
            "escape": spec.escape,
            "encoding": encoding,
            "decimal_separator": spec.decimal_separator if spec.decimal_separator != "." else None,
            "nullstr": list(spec.null_values),
            "timestampformat": spec.timestamp_format,
            "dateformat": spec.date_format,
        }

    @contextmanager
    def _utf8_copy(self, path: Path) -> Iterator[tuple[Path, str]]:
        """The file in an encoding DuckDB reads: itself, or a temporary UTF-8 copy (Windows-1252)."""
        if self.spec.encoding in NATIVE_ENCODINGS:
            yield path, self.spec.encoding
            return
        handle, name = tempfile.mkstemp(suffix=".csv", prefix="cxkpi-")
        os.close(handle)
        copy = Path(name)
        try:
            decoder = codecs.getincrementaldecoder(_python_codec(self.spec.encoding, path))(errors="strict")
            with path.open("rb") as source, copy.open("w", encoding="utf-8", newline="") as target:
                while chunk := source.read(1 << 20):
                    target.write(decoder.decode(chunk))
                target.write(decoder.decode(b"", final=True))
            yield copy, "utf-8"
        except UnicodeDecodeError as err:
            raise ConnectorError(self._read_failure(SourceInput(path.name, path), err)) from err
        finally:
            copy.unlink(missing_ok=True)

    def _header(self, item: SourceInput, path: Path, encoding: str) -> tuple[list[str], str]:
        """The column names on the header line, and the delimiter (as configured, or sniffed)."""
        try:
            with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as handle:
                for _ in range(self.spec.skip_rows):
                    handle.readline()
                sample = handle.read(SAMPLE_BYTES)
        except (UnicodeDecodeError, OSError) as err:
            raise ConnectorError(self._read_failure(item, err)) from err
        delimiter = self.spec.delimiter or self._sniff_delimiter(item, sample)
        # Universal newlines: an export with CR-only line ends (old Mac tools) made csv raise here.
        lines = io.StringIO(sample, newline=None)
        try:
            first = next(csv.reader(lines, delimiter=delimiter, quotechar=self.spec.quote or '"'), [])
        except csv.Error as err:
            raise ConnectorError(self._read_failure(item, err)) from err
        names = _unique([name.lstrip("\ufeff").strip() for name in first])
        if not names:
            raise ConnectorError(
                Problem(
                    f"{Path(item.label).name} is empty: no header line",
                    subject=self.name,
                    fix="export the file again, or set skip_rows if the header comes later",
                )
            )
        return names, delimiter

    def _sniff_delimiter(self, item: SourceInput, sample: str) -> str:
        try:
            return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error as err:
            # The sniffer wants rows that agree; a short export with a broken row still has a header.
            header = io.StringIO(sample, newline=None).readline()
            counts = {candidate: header.count(candidate) for candidate in ",;\t|"}
            best = max(counts, key=lambda candidate: counts[candidate])
            if counts[best] > 0 and list(counts.values()).count(counts[best]) == 1:
                return best
            raise ConnectorError(
                Problem(
                    f"{Path(item.label).name}: could not detect the delimiter (sniffing failed: {err})",
                    subject=self.name,
                    fix="set 'delimiter:' for this source in config.yaml (e.g. ',' or ';')",
                )
            ) from err

    def _scrubbed(self, rejects: list[RawReject], header: list[str], delimiter: str) -> list[RawReject]:
        """Rejected lines with pseudonymised columns hashed, so no name reaches meta.rejects."""
        if not self.spec.pseudonymise or not rejects:
            return rejects
        key = pseudonymise.key_for(self.name, self.spec, self.root)
        positions = [header.index(self.spec.columns[target].source_name(target)) for target in self.spec.pseudonymise]
        scrubbed: list[RawReject] = []
        for reject in rejects:
            fields = next(
                csv.reader(
                    io.StringIO(reject.original or "", newline=None), delimiter=delimiter, quotechar=self.spec.quote
                ),
                [],
            )
            # When the fields do not line up with the header (too few or too many, a quote left
            # open), a pseudonymised value may sit at any position: then every field is hashed.
            hide = positions if len(fields) == len(header) else range(len(fields))
            for position in hide:
                if position < len(fields) and fields[position] not in self.spec.null_values:
                    fields[position] = pseudonymise.pseudonym(fields[position], key)
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter, quotechar=self.spec.quote, lineterminator="").writerow(fields)
            scrubbed.append(RawReject(reject.line, reject.column, reject.reason, out.getvalue()))
        return scrubbed

    def _read_failure(self, item: SourceInput, err: Exception) -> Problem:
        text = str(err).splitlines()[0]
        if "encoding" in text.lower() or "unicode" in text.lower() or "codec" in text.lower():
            fix = "set 'encoding:' for this source (utf-8, latin-1, windows-1252 or utf-16)"
        else:
            fix = "check the file, or set delimiter/quote/skip_rows for this source in config.yaml"
        return Problem(f"could not read {Path(item.label).name}: {text}", subject=self.name, fix=fix)


def _python_codec(encoding: str, path: Path) -> str:
    """UTF-16 without a byte-order mark is little-endian (what Windows writes), whatever this machine is."""
    if encoding != "utf-16":
        return encoding
    with path.open("rb") as handle:
        start = handle.read(2)
    return "utf-16" if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-16-le"


def _unique(names: list[str]) -> list[str]:
    """Header names, with blank or repeated ones (empty trailing columns) given a unique name."""
    seen: set[str] = set()
    result: list[str] = []
    for index, name in enumerate(names, start=1):
        unique = name if name and name not in seen else f"column{index}"
        seen.add(unique)
        result.append(unique)
    return result


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
            reason=f"{error_type}: {message}{_swallowed(line, error_type, original)}",
            original=original,
        )
        for line, column_name, error_type, message, original in rows
    ]


def _swallowed(line: int | None, error_type: str, original: str | None) -> str:
    """Say so when a quote left open made the rest of the file one record: those lines are not lost."""
    if error_type != "UNQUOTED VALUE" or not original or line is None:
        return ""
    extra = original.rstrip("\r\n").count("\n")
    if extra == 0:
        return ""
    return f" (the quote is never closed, so lines {line}-{line + extra} were read as this one record)"
