"""The bundled config.yaml's source blocks load small files shaped like the demo exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import yaml

from core.config import load_config
from core.refresh import refresh
from tests.conftest import ROOT
from tests.connectors.conftest import rows

PULSE_HEADER = (
    "Employee Ref,Team,Survey Month,Q1 Proud to work here,Q2 Recognised for good work,Q3 Have the tools I need,"
    "Q4 See a path to grow,Q5 Workload is sustainable,eNPS Recommend as a place to work (0-10)"
)
CASE_COLUMNS = (
    "case_id, response_id, customer_id, opened_at, first_contact_at, closed_at, status, owner, team, "
    "root_cause, reopen_count, priority"
)


def bundled_sources(folder: Path) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    sources: dict[str, Any] = data["sources"]
    for source in sources.values():
        source["path"] = str(folder / Path(source["path"]).name)
    return {name: sources[name] for name in ("cases", "employee_pulse", "reviews")}


def write_demo_like_files(folder: Path) -> None:
    with sqlite3.connect(folder / "cases.sqlite") as db:
        db.execute(f"CREATE TABLE cases ({CASE_COLUMNS})")
        db.executemany(
            f"INSERT INTO cases ({CASE_COLUMNS}) VALUES ({', '.join('?' * 12)})",
            [
                ("K1", "R1", "C1", "2025-01-05 09:00:00", "2025-01-05 10:30:00", "2025-01-06 09:00:00", "Closed",
                 "Ann", "Frontline Phone", "Billing error", 0, "High"),
                ("K2", None, "C2", "2025-01-07 12:00:00", None, None, "Open", "Bo", "Chat & Messaging", None, 1, "Low"),
                ("K3", None, "C3", "2025-01-08 12:00:00", None, None, "Pending", "Bo", "Chat & Messaging", None, 0,
                 "Low"),
            ],
        )  # fmt: skip
    (folder / "employee_pulse.csv").write_text(
        PULSE_HEADER + "\nE001,Frontline Phone,2025-01-01,4,3,5,2,3,9\nE002,Retention Desk,2025-01-01,5,5,5,5,5,11\n"
    )
    reviews = [
        {"review_id": "V1", "published_at": "2025-01-05T10:00:00Z", "platform": "App Store", "rating": 5,
         "sentiment": "positive", "title": "Great", "text": "Loved it", "product": "Mobile", "region": "EMEA"},
        {"review_id": "V2", "published_at": "2025-01-06T23:30:00Z", "platform": "Trustpilot", "rating": 1,
         "sentiment": "negative", "title": "Slow", "text": "Waited\nfor ages", "product": "TV", "region": "APAC"},
    ]  # fmt: skip
    (folder / "reviews.json").write_text(json.dumps(reviews))


def test_the_bundled_source_blocks_load_demo_shaped_exports(tmp_path: Path) -> None:
    write_demo_like_files(tmp_path)
    data: dict[str, Any] = {"database": str(tmp_path / "cx.duckdb"), "kpi_definitions": str(tmp_path)}
    data["sources"] = bundled_sources(tmp_path)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    config = load_config(tmp_path / "config.yaml")
    report = refresh(config)
    assert [(r.source, r.error) for r in report.loads] == [("cases", None), ("employee_pulse", None), ("reviews", None)]
    assert [(r.rows_read, r.rows_loaded, r.rows_rejected) for r in report.loads] == [(3, 2, 1), (2, 1, 1), (2, 2, 0)]

    cases = rows(config, "SELECT case_id, epoch(opened_at), closed_at IS NULL, reopen_count FROM raw.cases ORDER BY 1")
    assert cases == [("K1", 1736067600.0, False, 0), ("K2", 1736251200.0, True, 1)]  # 2025-01-05 09:00 UTC
    assert rows(config, "SELECT file, line, reason FROM meta.rejects WHERE source = 'cases'") == [
        ("cases.sqlite:cases", 3, "status: Pending is not one of Open, Closed")
    ]
    pulse = rows(config, "SELECT respondent_id, survey_month::VARCHAR, pride, enps FROM raw.employee_pulse")
    assert pulse == [("E001", "2025-01-01", 4, 9)]
    assert rows(config, "SELECT line, reason FROM meta.rejects WHERE source = 'employee_pulse'") == [
        (3, "enps: 11 is outside 0..10")
    ]
    reviews = rows(config, "SELECT review_id, epoch(published_at), rating, review_text FROM raw.reviews ORDER BY 1")
    assert reviews == [("V1", 1736071200.0, 5, "Loved it"), ("V2", 1736206200.0, 1, "Waited\nfor ages")]
