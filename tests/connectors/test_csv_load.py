"""The CSV connector on real files and a real DuckDB file: nothing lost, nothing loaded twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from core.config import AppConfig, load_config
from core.refresh import refresh

MakeConfig = Callable[..., AppConfig]

GOOD = [
    'R1,2025-01-05 10:00:00,C1,Phone,EMEA,Billing,Mobile,Frontline Phone,10,5,7,"Great, ""really"" great"',
    "R2,2025-01-06 10:00:00,C2,Chat,EMEA,Billing,Mobile,Chat & Messaging,7,4,,",
    'R3,2025-01-07 10:00:00,C3,Phone,APAC,Support,TV,Frontline Phone,3,2,2,"bad\nvery bad"',
    "R4,2025-01-08 10:00:00,C4,App,APAC,Support,TV,App Experience,n/a,,,",
]
BAD = [
    "R5,2025-02-08 10:00:00,C4,App,APAC,Support,TV,App Experience,11,,,",  # NPS out of range
    "R6,2025-02-09 10:00:00,C5,Fax,APAC,Support,TV,App Experience,5,,,",  # channel not allowed
    "R7,2025-02-10 10:00:00,C6,App,APAC,Support,TV,App Experience,ten,,,",  # not a number
    "R8,2025-02-11 10:00:00,C7,App,APAC,Support,TV,App Experience,8,3,,,extra",  # too many columns
]


def query(config: AppConfig, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config.database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_row_read_is_loaded_or_rejected_with_file_line_and_reason(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD[:2], BAD[0], GOOD[2], BAD[1], BAD[2], GOOD[3], BAD[3])
    report = refresh(config)
    load = report.loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (8, 4, 4)
    assert query(config, "SELECT rows_read, rows_loaded, rows_rejected, status FROM meta.loads") == [(8, 4, 4, "ok")]
    rejects = query(config, "SELECT file, line, column_name, reason, original FROM meta.rejects ORDER BY line")
    # Lines as a spreadsheet numbers rows: header is 1; R3's comment spans two physical lines.
    assert [(r[1], r[2]) for r in rejects] == [
        (4, "nps"),
        (6, "channel"),
        (7, "Likelihood to Recommend (0-10)"),
        (9, None),
    ]
    assert all(r[0] == str(config.root / "survey.csv").lstrip("/") or r[0].endswith("survey.csv") for r in rejects)
    assert rejects[0][3] == "nps: 11 is outside 0..10"
    assert json.loads(str(rejects[0][4]))["response_id"] == "R5"
    assert "Fax is not one of Phone, Chat, Email, Store, App" in str(rejects[1][3])
    assert "ten" in str(rejects[2][3]) and str(rejects[2][4]).startswith("R7,")
    assert "TOO MANY COLUMNS" in str(rejects[3][3])


def test_values_survive_quoting_newlines_and_blanks(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    refresh(config)
    rows = dict(query(config, "SELECT response_id, comment FROM raw.feedback"))
    assert rows["R1"] == 'Great, "really" great'
    assert rows["R3"] == "bad\nvery bad"
    assert query(config, "SELECT nps, csat FROM raw.feedback WHERE response_id = 'R4'") == [(None, None)]


def test_time_stamps_without_offset_are_read_in_the_sources_time_zone(survey_config: MakeConfig) -> None:
    config = survey_config(GOOD[0])
    refresh(config)
    assert query(config, "SELECT epoch(responded_at) FROM raw.feedback") == [(1736071200.0,)]  # 10:00 UTC


def test_loading_the_same_file_twice_changes_nothing(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD, BAD[0])
    refresh(config)
    second = refresh(config)
    assert second.loads[0].status == "unchanged"
    assert query(config, "SELECT count(*) FROM raw.feedback") == [(4,)]
    assert query(config, "SELECT count(*) FROM meta.rejects") == [(1,)]
    assert query(config, "SELECT status FROM meta.loads ORDER BY load_id") == [("ok",), ("unchanged",)]


def test_a_changed_file_replaces_its_earlier_rows(survey_config: MakeConfig, tmp_path: Path) -> None:
    config = survey_config(*GOOD, BAD[0])
    refresh(config)
    csv = tmp_path / "survey.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([*lines[:2], GOOD[1].replace("R2", "R9")]) + "\n")
    report = refresh(config)
    assert report.loads[0].files[0].action == "replaced"
    assert query(config, "SELECT response_id FROM raw.feedback ORDER BY 1") == [("R1",), ("R9",)]
    assert query(config, "SELECT count(*) FROM meta.rejects") == [(0,)]


def test_a_glob_picks_up_new_files(tmp_path: Path, survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    exports = tmp_path / "exports"
    exports.mkdir()
    (tmp_path / "survey.csv").rename(exports / "2025-01.csv")
    data = yaml.safe_load(config.file.read_text())
    data["sources"]["survey_responses"]["path"] = "exports/*.csv"
    config.file.write_text(yaml.safe_dump(data))
    config = load_config(config.file)
    refresh(config)
    header = (exports / "2025-01.csv").read_text().splitlines()[0]
    (exports / "2025-02.csv").write_text(header + "\n" + GOOD[1].replace("R2", "R10") + "\n")
    report = refresh(config)
    assert [f.action for f in report.loads[0].files] == ["unchanged", "loaded"]
    assert query(config, "SELECT count(*) FROM raw.feedback") == [(5,)]


def test_a_failing_source_keeps_its_last_good_rows_and_says_what_to_do(
    survey_config: MakeConfig, tmp_path: Path
) -> None:
    config = survey_config(*GOOD)
    refresh(config)
    csv = tmp_path / "survey.csv"
    csv.write_text(csv.read_text().replace("Likelihood to Recommend (0-10)", "Likelihood to recommend"))
    report = refresh(config)
    assert not report.ok
    error = report.failed_sources[0].error or ""
    assert "[survey_responses]" in error
    assert "has no column 'Likelihood to Recommend (0-10)'" in error
    assert "did you mean 'Likelihood to recommend'?" in error
    assert query(config, "SELECT count(*) FROM raw.feedback") == [(4,)]
    assert query(config, "SELECT status, error IS NOT NULL FROM meta.loads ORDER BY load_id") == [
        ("ok", False),
        ("failed", True),
    ]


def test_a_missing_file_is_one_clear_line(survey_config: MakeConfig, tmp_path: Path) -> None:
    config = survey_config(*GOOD)
    (tmp_path / "survey.csv").unlink()
    report = refresh(config)
    error = report.failed_sources[0].error or ""
    assert "file not found" in error and "check 'path:' in config.yaml" in error
    assert "\n" not in error
