"""Parquet, JSON, NDJSON, Excel and SQLite files made here, loaded through the one loader."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from core.refresh import refresh
from tests.connectors.conftest import MakeSources, rows

SCORES: dict[str, Any] = {
    "response_id": {"from": "id", "required": True},
    "responded_at": {"from": "at", "type": "timestamp"},
    "nps": {"from": "score", "type": "integer", "min": 0, "max": 10},
}


def source(kind: str, path: Path, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "path": str(path), "table": "feedback", "columns": SCORES, **extra}


def accounting(report: Any) -> tuple[int, int, int]:
    load = report.loads[0]
    assert load.error is None, load.error
    return load.rows_read, load.rows_loaded, load.rows_rejected


def test_parquet_types_are_converted_and_a_fraction_is_a_reject(tmp_path: Path, sources_config: MakeSources) -> None:
    table = pa.table(
        {
            "id": ["P1", "P2", "P3"],
            "at": pa.array([datetime(2025, 1, 5, 10), datetime(2025, 1, 6, 10), None], type=pa.timestamp("us")),
            "score": [9.0, 7.5, 11.0],  # doubles, as many tools write them
            "unused": [1, 2, 3],
        }
    )
    pq.write_table(table, tmp_path / "scores.parquet")
    config = sources_config(scores=source("parquet", tmp_path / "scores.parquet"))
    assert accounting(refresh(config)) == (3, 1, 2)
    assert rows(config, "SELECT response_id, epoch(responded_at), nps FROM raw.feedback") == [("P1", 1736071200.0, 9)]
    assert rows(config, "SELECT line, column_name, reason FROM meta.rejects ORDER BY line") == [
        (2, "nps", "nps: 7.5 is not an integer"),
        (3, "nps", "nps: 11 is outside 0..10"),
    ]


def test_a_json_array_and_ndjson_load_alike_and_a_bad_value_names_its_record(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    records = [
        {"id": "J1", "at": "2025-01-05T10:00:00Z", "score": 10},
        {"id": "J2", "at": "2025-01-05T12:00:00+02:00", "score": "ten"},
        {"id": "J3", "at": "2025-01-05", "score": 0, "extra": {"nested": True}},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records))
    (tmp_path / "b.ndjson").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    for name, fmt in (("a.json", "array"), ("b.ndjson", "newline_delimited")):
        config = sources_config(reviews=source("json", tmp_path / name, format=fmt))
        assert accounting(refresh(config, full=True)) == (3, 2, 1)
        assert rows(config, "SELECT response_id, epoch(responded_at), nps FROM raw.feedback ORDER BY 1") == [
            ("J1", 1736071200.0, 10),
            ("J3", 1736035200.0, 0),  # a date alone is midnight in the source's zone (UTC)
        ]
        rejected = rows(config, "SELECT line, reason, original FROM meta.rejects")
        assert [(line, reason) for line, reason, _ in rejected] == [(2, "nps: ten is not an integer")]
        assert json.loads(rejected[0][2])["response_id"] == "J2"


def test_invalid_json_fails_the_source_in_one_line(tmp_path: Path, sources_config: MakeSources) -> None:
    (tmp_path / "broken.json").write_text('[{"id": "J1", "at": null, "score": 3}, {"id": ')
    report = refresh(sources_config(reviews=source("json", tmp_path / "broken.json")))
    error = report.loads[0].error or ""
    assert "[reviews] could not read broken.json as JSON" in error and "\n" not in error


def excel(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, cells in sheets.items():
        sheet = book.create_sheet(title)
        for row in cells:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_reads_a_named_sheet_with_mixed_cells_and_keeps_row_numbers(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    path = excel(
        tmp_path / "scores.xlsx",
        {
            "Notes": [["not", "this"]],
            "Scores": [
                ["id", "at", "score"],
                ["X1", datetime(2025, 1, 5, 10), 8],
                [None, None, None],  # a blank row: not data, but row numbers after it stay as Excel shows
                ["X2", datetime(2025, 1, 6, 10), "n/a"],
                ["X3", "2025-01-07 10:00", 6],
            ],
        },
    )
    config = sources_config(scores=source("excel", path, sheet="Scores"))
    assert accounting(refresh(config)) == (3, 2, 1)
    assert rows(config, "SELECT response_id, epoch(responded_at), nps FROM raw.feedback ORDER BY 1") == [
        ("X1", 1736071200.0, 8),
        ("X3", 1736244000.0, 6),
    ]
    assert rows(config, "SELECT line, reason FROM meta.rejects") == [(4, "nps: n/a is not an integer")]


def test_excel_defaults_to_the_first_sheet_and_names_the_sheets_when_one_is_missing(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    path = excel(tmp_path / "s.xlsx", {"First": [["id", "at", "score"], ["F1", None, 3]], "Other": [["id"]]})
    config = sources_config(scores=source("excel", path))
    assert accounting(refresh(config)) == (1, 1, 0)
    report = refresh(sources_config(scores=source("excel", path, sheet="Scores")))
    assert "has no sheet 'Scores'; set 'sheet:' to one of First, Other" in (report.loads[0].error or "")


def make_sqlite(path: Path, records: list[tuple[Any, ...]]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS answers (id TEXT, at TEXT, score, updated_at TEXT)")
        db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)", records)
    return path


def test_sqlite_reads_a_table_or_a_query(tmp_path: Path, sources_config: MakeSources) -> None:
    db = make_sqlite(
        tmp_path / "export.sqlite",
        [("S1", "2025-01-05 10:00:00", 9, "1"), ("S2", "2025-01-05 11:00:00", "seven", "2"), ("S3", None, 3, "3")],
    )
    config = sources_config(answers=source("sqlite", db, source_table="answers"))
    assert accounting(refresh(config)) == (3, 2, 1)
    assert rows(config, "SELECT file, line, reason FROM meta.rejects") == [
        ("export.sqlite:answers", 2, "nps: seven is not an integer")
    ]
    assert refresh(config).loads[0].status == "unchanged"
    query = "SELECT id, at, score FROM answers WHERE score <> 'seven'"
    config = sources_config(answers=source("sqlite", db, query=query))
    assert accounting(refresh(config, full=True)) == (2, 2, 0)


def test_sqlite_without_the_table_says_which_table_and_what_to_check(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    db = make_sqlite(tmp_path / "export.sqlite", [])
    report = refresh(sources_config(answers=source("sqlite", db, source_table="answer")))
    error = report.loads[0].error or ""
    assert "[answers] export.sqlite has no table 'answer'" in error and "check 'source_table:'" in error
