"""The loader reads each input twice (write the rows that pass, then find the refused ones): both
reads must see the same rows in the same order, so every reject keeps the line it was written on.

The big export is larger than one read buffer of DuckDB's CSV reader, so the reader splits it
across threads; each bad row's line is known because the test wrote it there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.refresh import refresh
from tests.connectors.conftest import MakeSources, rows

SCORE: dict[str, Any] = {"from": "Score", "type": "integer", "min": 0, "max": 10}
COLUMNS: dict[str, Any] = {"case_id": {"from": "ID"}, "score": SCORE, "note": {"from": "Note"}}
RECORDS = 1_500_000
FILLER = "x" * 30  # about 60 MB in all: DuckDB scans it on several threads (2 threads: twice as fast)


def big_export(path: Path, *, duplicates: bool) -> tuple[dict[int, str], dict[str, int]]:
    """Write the export; return {line: why it is refused} and {id: line of the row that is kept}.

    Lines are records as a spreadsheet numbers them (the header is 1), so a quoted note spanning
    two physical lines is one record.
    """
    refused: dict[int, str] = {}
    kept: dict[str, int] = {}
    # ids written twice, far apart: the later copy replaces the earlier one
    repeated = {101: 1_400_001, 250_007: 250_008, 700_001: 1_499_999} if duplicates else {}
    repeat_of = {later: earlier for earlier, later in repeated.items()}
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("ID,Score,Note\n")
        for record in range(RECORDS):
            line = record + 2
            key = f"K{repeat_of.get(record, record)}"
            if record % 997 == 500:
                out.write(f"{key},11,\n")
                refused[line] = "score"
                continue
            if record % 1499 == 700:
                out.write(f"{key},x,\n")
                refused[line] = "CAST"
                continue
            if record % 2003 == 900:
                out.write(f"{key},1,a,too many\n")
                refused[line] = "TOO MANY COLUMNS"
                continue
            note = f'"two\nlines {FILLER}"' if record % 3001 == 1000 else FILLER
            out.write(f"{key},{record % 11},{note}\n")
            if key in kept:
                refused[kept[key]] = "duplicate primary key (case_id)"
            kept[key] = line
    return refused, kept


@pytest.mark.parametrize("duplicates", [False, True], ids=["unique-keys", "repeated-keys"])
def test_a_csv_read_in_parallel_keeps_every_rejects_line(
    tmp_path: Path, sources_config: MakeSources, duplicates: bool
) -> None:
    path = tmp_path / "big.csv"
    refused, kept = big_export(path, duplicates=duplicates)
    config = sources_config(
        tickets={"type": "csv", "path": str(path), "delimiter": ",", "table": "cases", "columns": COLUMNS}
        | ({"primary_key": ["case_id"]} if duplicates else {})
    )
    load = refresh(config).loads[0]
    assert load.error is None, load.error
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (RECORDS, len(kept), len(refused))
    found = rows(config, "SELECT line, reason FROM meta.rejects ORDER BY line")
    assert len(found) == len(refused)
    wrong = [(line, reason) for line, reason in found if not str(reason).startswith(refused.get(line, "?"))]
    assert wrong == []
    # the kept copy of a repeated id is the later one: its score says which record it was
    for key in ("K101", "K250007", "K700001"):
        record = kept[key] - 2
        assert rows(config, "SELECT score FROM raw.cases WHERE case_id = ?", [key]) == [(record % 11,)]


def test_a_refused_row_keeps_its_line_even_with_rejected_lines_before_it(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    path = tmp_path / "small.csv"
    path.write_text("ID,Score,Note\nK1,x,\nK2,1,a,b\nK3,12,\nK4,3,\n")
    config = sources_config(
        tickets={"type": "csv", "path": str(path), "delimiter": ",", "table": "cases", "columns": COLUMNS}
    )
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (4, 1, 3)
    assert [(line, str(reason)[:8]) for line, reason in rows(config, "SELECT line, reason FROM meta.rejects")] == [
        (2, "CAST: Er"),
        (3, "TOO MANY"),
        (4, "score: 1"),
    ]


def test_the_readers_rejects_are_kept_when_no_column_has_a_check(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("ID,Note\nK1,a\nK2,b,extra\nK3,c\n")
    columns = {"case_id": {"from": "ID"}, "note": {"from": "Note"}}
    config = sources_config(
        tickets={"type": "csv", "path": str(path), "delimiter": ",", "table": "cases", "columns": columns}
    )
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (3, 2, 1)
    assert [(line, str(reason)[:16]) for line, reason in rows(config, "SELECT line, reason FROM meta.rejects")] == [
        (3, "TOO MANY COLUMNS")
    ]


def test_a_refused_rows_original_shows_time_stamps_in_the_sources_zone(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    # The refused rows are read on a second connection while the first one writes: it must use
    # the source's time zone too, or the original would show the time stamp in UTC.
    path = tmp_path / "zoned.csv"
    path.write_text("ID,At,Score\nK1,2025-01-05 10:00:00,3\nK2,2025-07-05 10:00:00,12\n")
    columns = {"case_id": {"from": "ID"}, "opened_at": {"from": "At", "type": "timestamp"}, "score": SCORE}
    source = {"type": "csv", "path": str(path), "delimiter": ",", "table": "cases", "columns": columns}
    config = sources_config(tickets=source | {"timezone": "America/New_York"})
    assert refresh(config).loads[0].rows_rejected == 1
    assert rows(config, "SELECT epoch(opened_at) FROM raw.cases") == [(1736089200.0,)]  # 15:00 UTC
    ((original,),) = rows(config, "SELECT original FROM meta.rejects")
    assert json.loads(str(original))["opened_at"] == "2025-07-05 10:00:00-04"


def json_cases(path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    path.write_text(json.dumps(records))
    return {
        "type": "json",
        "path": str(path),
        "format": "array",
        "table": "cases",
        "primary_key": ["case_id"],
        "columns": {"case_id": {"from": "id"}, "score": {"type": "integer", "min": 0, "max": 10}},
    }


def test_a_keyed_table_input_without_duplicates_loads_every_valid_row(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    records: list[dict[str, Any]] = [
        {"id": "A", "score": 1},
        {"id": "B", "score": 11},
        {"id": None, "score": 2},
        {"id": "C", "score": 3},
    ]
    config = sources_config(tickets=json_cases(tmp_path / "cases.json", records))
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (4, 2, 2)
    assert rows(config, "SELECT case_id, score FROM raw.cases ORDER BY 1") == [("A", 1), ("C", 3)]
    assert rows(config, "SELECT line, reason FROM meta.rejects ORDER BY line") == [
        (2, "score: 11 is outside 0..10"),
        (3, "case_id: blank, but required"),
    ]


def test_a_keyed_table_input_keeps_the_last_valid_copy_of_each_key(tmp_path: Path, sources_config: MakeSources) -> None:
    records: list[dict[str, Any]] = [
        {"id": "A", "score": 1},
        {"id": "B", "score": 2},
        {"id": "A", "score": 3},
        {"id": None, "score": 4},
        {"id": "B", "score": 99},  # refused: the earlier B stays
        {"id": None, "score": 5},  # two blank keys are not duplicates of each other
        {"id": "A", "score": 6},
    ]
    config = sources_config(tickets=json_cases(tmp_path / "cases.json", records))
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (7, 2, 5)
    assert rows(config, "SELECT case_id, score FROM raw.cases ORDER BY 1") == [("A", 6), ("B", 2)]
    duplicate = "duplicate primary key (case_id): a later row of this input replaces it"
    assert rows(config, "SELECT line, column_name, reason FROM meta.rejects ORDER BY line") == [
        (1, None, duplicate),
        (3, None, duplicate),
        (4, "case_id", "case_id: blank, but required"),
        (5, "score", "score: 99 is outside 0..10"),
        (6, "case_id", "case_id: blank, but required"),
    ]
