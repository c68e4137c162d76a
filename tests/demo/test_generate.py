"""The demo generator: deterministic, well-formed, and telling the story a CX leader recognises.

Checked with plain DuckDB SQL on the bundled files, independently of the project's own code.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate
from tests.conftest import ROOT

DATA = ROOT / "demo" / "data"
NPS = "100.0 * (count(*) FILTER (s >= 9) - count(*) FILTER (s <= 6)) / count(s)"
# trim(): DuckDB 2.0 turns a bare TRY_CAST over all_varchar read_csv into a strict cast
# (duckdb/duckdb#23818); the expression keeps it a real TRY_CAST.
SURVEY = (
    f'(SELECT *, TRY_CAST(trim("Likelihood to Recommend (0-10)") AS INTEGER) AS s '
    f"FROM read_csv('{DATA / 'survey_responses.csv'}', header = true, delim = ',', all_varchar = true))"
)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def scalar(sql: str) -> float:
    with duckdb.connect() as con:
        rows = con.execute(sql).fetchall()
    return float(rows[0][0])


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", responses=2_000, seed=3)
    second = generate(tmp_path / "b", responses=2_000, seed=3)
    assert set(first) == set(second)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(Path(generate(tmp_path / "c", responses=2_000, seed=4)["survey"]).parent)


def test_the_bundled_files_are_the_generators_default_output(tmp_path: Path) -> None:
    generate(tmp_path, responses=50_000, seed=7)
    assert digest(tmp_path) == digest(DATA)


def test_about_fifty_thousand_responses_over_two_years() -> None:
    rows = scalar(f"SELECT count(*) FROM {SURVEY}")
    assert 45_000 <= rows <= 55_000
    assert scalar(f'SELECT count(DISTINCT left("Submitted At", 7)) FROM {SURVEY}') == 24


@pytest.mark.parametrize(
    ("months", "lower", "upper"), [("'2024-11', '2024-12'", 20, 40), ("'2026-09', '2026-10'", 32, 50)]
)
def test_nps_starts_near_30_and_ends_near_40(months: str, lower: float, upper: float) -> None:
    value = scalar(f'SELECT {NPS} FROM {SURVEY} WHERE left("Submitted At", 7) IN ({months})')
    assert lower <= value <= upper


def test_the_billing_change_dips_nps_and_it_recovers() -> None:
    before = scalar(f"SELECT {NPS} FROM {SURVEY} WHERE left(\"Submitted At\", 7) IN ('2025-07', '2025-08')")
    dip = scalar(f"SELECT {NPS} FROM {SURVEY} WHERE left(\"Submitted At\", 7) IN ('2025-09', '2025-10')")
    after = scalar(f"SELECT {NPS} FROM {SURVEY} WHERE left(\"Submitted At\", 7) IN ('2026-01', '2026-02')")
    assert before - dip >= 8
    assert after >= before - 2
    billing_dip = scalar(
        f"SELECT {NPS} FROM {SURVEY} WHERE left(\"Submitted At\", 7) IN ('2025-09', '2025-10') "
        "AND \"Journey Stage\" = 'Billing'"
    )
    assert dip - billing_dip >= 10


def test_apac_lags_the_other_regions() -> None:
    apac = scalar(f"SELECT {NPS} FROM {SURVEY} WHERE Region = 'APAC'")
    others = scalar(f"SELECT {NPS} FROM {SURVEY} WHERE Region <> 'APAC'")
    assert others - apac >= 6


def test_loop_closure_gets_faster_once_the_program_starts() -> None:
    cases = DATA / "cases.sqlite"
    with sqlite3.connect(cases) as db:
        rows = db.execute(
            "SELECT opened_at < '2025-06-01', (julianday(closed_at) - julianday(opened_at)) * 24 "
            "FROM cases WHERE closed_at IS NOT NULL"
        ).fetchall()
        still_open = db.execute("SELECT count(*) FROM cases WHERE closed_at IS NULL").fetchone()[0]
    before = sorted(h for early, h in rows if early)
    after = sorted(h for early, h in rows if not early)
    assert before[len(before) // 2] > 1.5 * after[len(after) // 2]
    assert still_open > 0


def test_one_team_is_below_the_anonymity_minimum() -> None:
    pulse = DATA / "employee_pulse.csv"
    most = scalar(
        f"SELECT max(n) FROM (SELECT count(*) AS n FROM read_csv('{pulse}', header = true, delim = ',') "
        "WHERE Team = 'Retention Desk' GROUP BY \"Survey Month\")"
    )
    assert most < 5


def test_a_benchmark_can_ask_for_one_percent_corrupted_rows(tmp_path: Path) -> None:
    survey = generate(tmp_path, responses=4_000, seed=7, corrupt_share=0.01)["survey"]
    bad = scalar(
        f"SELECT count(*) FROM read_csv('{survey}', header = true, delim = ',', all_varchar = true) "
        'WHERE coalesce(trim("Likelihood to Recommend (0-10)") NOT IN '
        "('0','1','2','3','4','5','6','7','8','9','10','n/a',''), false) "
        "OR coalesce(trim(\"Overall Satisfaction (1-5)\") NOT IN ('1','2','3','4','5','n/a',''), false)"
    )
    assert bad == 40
    with pytest.raises(ValueError, match="corrupt_share"):
        generate(tmp_path / "x", responses=10, corrupt_share=1.5)
