"""Fuzzed exports: generated CSV files with every kind of damage; the loader never crashes and loses nothing.

Each example writes one export with a random encoding, delimiter, quoting and line ending, rows
with bad dates and numbers, huge fields, emoji, wrong column counts and sometimes a truncated last
line, then loads it the way a refresh does. Every time:
- the load either succeeds, or refuses the whole file with a one-line message and leaves nothing;
- rows read = rows loaded + rows rejected, and the table and meta.rejects agree with that;
- when the file is well-formed as a whole, rows read is exactly the number of records written;
- the pseudonymised column (e-mail addresses) appears nowhere in clear, not even among rejects.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.csv_source import CsvSourceSpec
from connectors.load import load_source
from connectors.meta import ensure_meta_tables

EXAMPLES = 150
KEY_ENV = "CXKPI_FUZZ_KEY"
HEADER = ["Response ID", "Submitted At", "Score", "Comment", "E-mail"]
GOOD_DATES = ["2026-03-01 09:30:00", "2026-11-30 23:59:59", "2024-02-29 00:00:00"]
BAD_DATES = ["2025-13-45 10:00:00", "yesterday", "30/02/2026", "2026-03-01T", "", "9" * 30]
GOOD_SCORES = ["0", "7", "10", " 9 "]
BAD_SCORES = ["11", "-1", "7.5", "seven", "1e400", "NaN", "0x0A", "١٢"]
TEXTS = [
    "",
    "fine",
    'said "hello", then left',
    "line one\nline two",
    "semi;colon|pipe\ttab",
    "café naïve Œuvre “quotes” – dash €",
    "emoji 😀🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u0080\u0099\u009f C1 controls",
    "x" * 20_000,
    "'; DROP TABLE raw.feedback; --",
    "=cmd|' /C calc'!A0",
]


@dataclass
class Export:
    content: bytes
    spec: CsvSourceSpec
    records: int | None  # records written, when the file is well-formed as a whole
    emails: list[str]


@st.composite
def exports(draw: st.DrawFn, path: Path) -> Export:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "windows-1252", "utf-16"]))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting: Literal[0, 1] = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows: list[list[str]] = []
    emails: list[str] = []
    for index in range(draw(st.integers(0, 40))):
        email = f"person{index}.{draw(st.integers(0, 999))}@example.com"
        emails.append(email)
        row = [
            f"R{index}",
            draw(st.sampled_from(GOOD_DATES * 4 + BAD_DATES)),
            draw(st.sampled_from(GOOD_SCORES * 4 + BAD_SCORES)),
            draw(st.sampled_from(TEXTS)),
            email,
        ]
        shape = draw(st.sampled_from(["ok"] * 12 + ["short", "long"]))
        if shape == "short":
            row = row[: draw(st.integers(1, len(row) - 1))]
        elif shape == "long":
            row += ["extra"] * draw(st.integers(1, 3))
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(rows)
    text = out.getvalue()
    records: int | None = len(rows)
    if newline == "\r" and quoting == csv.QUOTE_MINIMAL and any("\n" in f for row in rows for f in row):
        records = None  # csv leaves a field with "\n" unquoted when lines end in "\r": not valid CSV
    if rows and draw(st.integers(0, 9)) == 0:  # the export was cut off mid-line
        text = text[: draw(st.integers(len(text) - len(newline) - 20, len(text) - 1))]
        records = None
    declared = encoding.replace("utf-8-sig", "utf-8")
    if draw(st.integers(0, 9)) == 0:  # the config names the wrong encoding
        declared = draw(st.sampled_from(["utf-8", "latin-1", "windows-1252", "utf-16"]))
        records = None
    spec = CsvSourceSpec.model_validate(
        {
            "type": "csv",
            "path": str(path),
            "table": "feedback",
            "encoding": declared,
            "delimiter": draw(st.sampled_from([delimiter, None])),
            "pseudonymise": ["email"],
            "pseudonymise_key_env": KEY_ENV,
            "columns": {
                "response_id": {"from": "Response ID", "required": True},
                "responded_at": {"from": "Submitted At", "type": "timestamp"},
                "score": {"from": "Score", "type": "integer", "min": 0, "max": 10},
                "comment": {"from": "Comment"},
                "email": {"from": "E-mail"},
            },
        }
    )
    return Export(text.encode(encoding, errors="replace"), spec, records, emails)


def everything_stored(con: duckdb.DuckDBPyConnection) -> str:
    """Every value in every table, as text, to search for what must not be there."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    return "\n".join(
        f"{schema}.{table}: " + str(con.execute(f'SELECT to_json(list(t)) FROM "{schema}"."{table}" t').fetchall())
        for schema, table in tables
    )


@pytest.mark.slow
def test_fuzzed_exports_load_or_are_refused_and_every_row_is_accounted_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "fuzz-secret-key")
    counts: Counter[str] = Counter()
    path = tmp_path / "export.csv"

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )
    @given(export=exports(path))
    def attempt(export: Export) -> None:
        path.write_bytes(export.content)
        with duckdb.connect() as con:
            ensure_meta_tables(con)
            result = load_source(con, "survey", export.spec, root=tmp_path, refresh_id="fuzz", default_timezone="UTC")
            counts["files"] += 1
            stored = everything_stored(con)
            if result.error is not None:
                counts["refused"] += 1
                assert export.records is None, f"a well-formed export was refused: {result.error}"
                assert "\n" not in result.error and "Traceback" not in result.error, result.error
                assert "export.csv" in result.error, result.error
                assert "raw" not in stored and "R0" not in stored  # the load rolled back whole
                assert con.execute("SELECT count(*) FROM meta.rejects").fetchall() == [(0,)]
            else:
                counts["loaded"] += 1
                counts["rows read"] += result.rows_read
                counts["rows loaded"] += result.rows_loaded
                counts["rows rejected"] += result.rows_rejected
                assert result.rows_read == result.rows_loaded + result.rows_rejected
                assert con.execute("SELECT count(*) FROM raw.feedback").fetchall() == [(result.rows_loaded,)]
                rejected_records = con.execute(
                    "SELECT count(DISTINCT coalesce(line, -1)) + count(*) FILTER (WHERE line IS NULL) "
                    "- (count(*) FILTER (WHERE line IS NULL) > 0)::INT FROM meta.rejects"
                ).fetchall()[0][0]
                assert rejected_records == result.rows_rejected
                if export.records is not None:
                    assert result.rows_read == export.records
            for email in export.emails:
                assert email not in stored

    attempt()
    print(f"\nfuzzed CSV exports: {dict(counts)}")
    assert counts["files"] == EXAMPLES
    assert counts["loaded"] > EXAMPLES // 2 and counts["refused"] > 0 and counts["rows rejected"] > 0, counts


def load_bytes(tmp_path: Path, content: bytes, **options: object) -> tuple[object, list[tuple[object, ...]]]:
    path = tmp_path / "one.csv"
    path.write_bytes(content)
    spec = CsvSourceSpec.model_validate(
        {"type": "csv", "path": str(path), "table": "t", "columns": {"id": {"from": "ID"}, "text": {"from": "Text"}}}
        | options
    )
    with duckdb.connect() as con:
        ensure_meta_tables(con)
        result = load_source(con, "s", spec, root=tmp_path, refresh_id="r", default_timezone="UTC")
        rows = con.execute("SELECT id, text FROM raw.t ORDER BY id").fetchall() if result.error is None else []
    return result, rows


@pytest.mark.parametrize(
    ("content", "options", "expected"),
    [
        # DuckDB's own latin-1 decoder refused the whole file for bytes 0x80-0x9F
        ("ID,Text\n1,caf\xe9 \x80\x99\n".encode("latin-1"), {"encoding": "latin-1"}, [("1", "café \x80\x99")]),
        # ... and its utf-16 decoder a character outside the BMP
        ("ID,Text\n1,ok 😀\n".encode("utf-16"), {"encoding": "utf-16"}, [("1", "ok 😀")]),
        # UTF-16 without a byte-order mark, as some Windows tools write it
        ("ID,Text\n1,ok\n".encode("utf-16-le"), {"encoding": "utf-16"}, [("1", "ok")]),
        # CR-only line ends: csv.reader raised out of the loader and stopped the refresh
        (b"ID,Text\r1,a\r2,b\r", {}, [("1", "a"), ("2", "b")]),
        # the sniffer gave up on a short file with one broken row; the header still names the delimiter
        (b"ID;Text\n1\n2;b\n", {}, [("2", "b")]),
    ],
)
def test_exports_that_used_to_be_refused_or_crash(
    tmp_path: Path, content: bytes, options: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    result, rows = load_bytes(tmp_path, content, **options)
    assert getattr(result, "error", None) is None, result
    assert rows == expected


def test_a_quote_never_closed_says_which_lines_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(b'ID,Text\n1,a\n2,"open quote\n3,c\n4,d\n')
    spec = CsvSourceSpec.model_validate(
        {"type": "csv", "path": str(path), "table": "t", "columns": {"id": {"from": "ID"}, "text": {"from": "Text"}}}
    )
    with duckdb.connect() as con:
        ensure_meta_tables(con)
        result = load_source(con, "s", spec, root=tmp_path, refresh_id="r", default_timezone="UTC")
        ((line, reason),) = con.execute("SELECT line, reason FROM meta.rejects").fetchall()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert line == 3 and "lines 3-5 were read as this one record" in reason
