"""Real exports are messy: one small fixture per case, each loaded for real and checked by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.refresh import refresh
from tests.connectors.conftest import MakeSources, rows

COLUMNS: dict[str, Any] = {
    "response_id": {"from": "ID", "required": True},
    "responded_at": {"from": "Submitted", "type": "timestamp"},
    "nps": {"from": "Score", "type": "integer", "min": 0, "max": 10},
    "comment": {"from": "Comment"},
}


def csv_source(path: Path, **extra: Any) -> dict[str, Any]:
    return {"type": "csv", "path": str(path), "table": "feedback", "columns": COLUMNS, **extra}


def load(sources_config: MakeSources, path: Path, **extra: Any) -> Any:
    config = sources_config(survey=csv_source(path, **extra))
    report = refresh(config)
    assert report.loads[0].error is None, report.loads[0].error
    return config, report.loads[0]


def test_utf8_with_a_byte_order_mark(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfID,Submitted,Score,Comment\nA1,2025-01-05 10:00:00,9,Tr\xc3\xa8s bien\n")
    config, _ = load(sources_config, path)
    assert rows(config, "SELECT response_id, comment FROM raw.feedback") == [("A1", "Très bien")]


@pytest.mark.parametrize(
    ("encoding", "text", "expected"),
    [
        ("latin-1", "Cr\xe8me br\xfbl\xe9e", "Crème brûlée"),
        # 0x80 is the euro sign and 0x93/0x94 curly quotes in Windows-1252; Latin-1 would garble them.
        ("windows-1252", "\x80 5 \x93ok\x94", "€ 5 “ok”"),
    ],
)
def test_latin1_and_windows_1252(
    tmp_path: Path, sources_config: MakeSources, encoding: str, text: str, expected: str
) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(f"ID,Submitted,Score,Comment\nL1,2025-01-05 10:00:00,7,{text}\n".encode("latin-1"))
    config, _ = load(sources_config, path, encoding=encoding)
    assert rows(config, "SELECT comment FROM raw.feedback") == [(expected,)]


def test_a_file_in_the_wrong_encoding_is_one_line_naming_the_setting(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"ID,Submitted,Score,Comment\nL1,2025-01-05 10:00:00,7,Cr\xe8me\n")
    report = refresh(sources_config(survey=csv_source(path)))
    error = report.loads[0].error or ""
    assert error.startswith("[survey] could not read legacy.csv") and "set 'encoding:'" in error, error
    assert "\n" not in error


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(tmp_path: Path, sources_config: MakeSources, delimiter: str) -> None:
    lines = [["ID", "Submitted", "Score", "Comment"], ["D1", "2025-01-05 10:00:00", "8", "a, b"], ["D2", "", "6", ""]]
    path = tmp_path / "delimited.csv"
    path.write_text("\n".join(delimiter.join(line) for line in lines) + "\n")
    config, result = load(sources_config, path)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert rows(config, "SELECT response_id, nps, comment FROM raw.feedback ORDER BY 1") == [
        ("D1", 8, "a, b"),
        ("D2", 6, None),
    ]


def test_a_sniffing_failure_is_reported_as_such(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "one_column.csv"
    path.write_text("just some text\n")
    error = refresh(sources_config(survey=csv_source(path))).loads[0].error or ""
    assert "could not detect the delimiter (sniffing failed" in error and "set 'delimiter:'" in error


def test_quoted_fields_with_newlines_and_quotes_keep_line_numbers(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text(
        "ID,Submitted,Score,Comment\n"
        'Q1,2025-01-05 10:00:00,9,"She said ""wow""\nand left"\n'
        "Q2,2025-01-05 10:00:00,12,too high\n"
    )
    config, result = load(sources_config, path, delimiter=",")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert rows(config, "SELECT comment FROM raw.feedback") == [('She said "wow"\nand left',)]
    assert rows(config, "SELECT line FROM meta.rejects") == [(3,)]  # the third record, not the fourth physical line


def test_decimal_commas(tmp_path: Path, sources_config: MakeSources) -> None:
    columns = COLUMNS | {"handle_minutes": {"from": "Minutes", "type": "double"}}
    path = tmp_path / "decimal.csv"
    path.write_text("ID;Submitted;Score;Comment;Minutes\nC1;2025-01-05 10:00:00;7;ok;12,5\nC2;;8,5;;3\n")
    config = sources_config(survey=csv_source(path, delimiter=";", decimal_separator=",") | {"columns": columns})
    load_result = refresh(config).loads[0]
    assert (load_result.rows_loaded, load_result.rows_rejected) == (1, 1)
    assert rows(config, "SELECT handle_minutes FROM raw.feedback") == [(12.5,)]
    # A score of 8,5 is not rounded to 9: it is refused, with its line.
    assert rows(config, "SELECT line, reason FROM meta.rejects") == [(3, "nps: 8.5 is not an integer")]


def test_several_date_formats_and_time_zones_in_one_column(tmp_path: Path, sources_config: MakeSources) -> None:
    columns = COLUMNS | {
        "responded_at": {
            "from": "Submitted",
            "type": "timestamp",
            "formats": ["%Y-%m-%dT%H:%M:%S%z", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"],
        }
    }
    path = tmp_path / "dates.csv"
    path.write_text(
        "ID,Submitted,Score,Comment\n"
        "T1,2025-01-05T12:00:00+02:00,5,offset\n"  # 10:00 UTC
        "T2,05/01/2025 10:00,5,day first\n"  # 10:00 in the source's zone, Europe/Paris = 09:00 UTC
        "T3,2025-01-05 10:00:00,5,iso local\n"  # 09:00 UTC
        "T4,January 5th,5,unreadable\n"
    )
    source = csv_source(path, timezone="Europe/Paris") | {"columns": columns}
    config = sources_config(survey=source)
    assert refresh(config).loads[0].rows_rejected == 1
    assert rows(config, "SELECT response_id, epoch(responded_at) FROM raw.feedback ORDER BY 1") == [
        ("T1", 1736071200.0),
        ("T2", 1736067600.0),
        ("T3", 1736067600.0),
    ]
    [(line, reason)] = rows(config, "SELECT line, reason FROM meta.rejects")
    assert line == 5 and reason.startswith("responded_at: January 5th is not a timestamp in format %Y-%m-%dT")


def test_empty_trailing_columns(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("ID,Submitted,Score,Comment,,,\nE1,2025-01-05 10:00:00,4,fine,,,\nE2,,3,,,,\n")
    config, result = load(sources_config, path, delimiter=",")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 2, 0)
    assert rows(config, "SELECT response_id, nps FROM raw.feedback ORDER BY 1") == [("E1", 4), ("E2", 3)]


def test_survey_exports_with_question_text_and_import_id_rows(tmp_path: Path, sources_config: MakeSources) -> None:
    path = tmp_path / "qualtrics.csv"
    path.write_text(
        "ID,Submitted,Score,Comment\n"
        'Response ID,Recorded date,"How likely are you to recommend us?\n(0-10)",Anything else?\n'
        '{"ImportId":"_recordId"},{"ImportId":"recordedDate"},{"ImportId":"QID1"},{"ImportId":"QID2_TEXT"}\n'
        "Q1,2025-01-05 10:00:00,10,great\n"
        "Q2,2025-01-05 11:00:00,eleven,\n"
        "Q3,2025-01-05 12:00:00,3,\n"
    )
    config, result = load(sources_config, path, delimiter=",", header_rows_after=2)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(config, "SELECT response_id FROM raw.feedback ORDER BY 1") == [("Q1",), ("Q3",)]
    # Record 5 of the file (header 1, question texts 2, import ids 3, Q1 4): as a spreadsheet shows it.
    [(line, original)] = rows(config, "SELECT line, original FROM meta.rejects")
    assert (line, original) == (5, "Q2,2025-01-05 11:00:00,eleven,")
    checked = rows(config, "SELECT line, reason FROM meta.rejects")
    assert json.dumps(checked)  # reasons are plain text
