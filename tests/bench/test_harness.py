"""The benchmark harness at a tiny size: it runs, and its sides agree. Correctness only, no timing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
import yaml

from bench.compare import differences
from bench.dataset import parse_size, split_last_day
from bench.harness import BenchError, run_benchmark
from bench.report import table
from bench.sides.common import CHECKED_DIMENSION
from bench.sides.ours import check_rows as ours_check_rows


def test_the_sides_agree_on_every_checked_kpi_at_a_small_size(tmp_path: Path) -> None:
    messages: list[str] = []
    results = run_benchmark(
        [3000],
        runs=1,
        workloads=["full", "kpis", "incremental"],
        sides=["ours", "duckdb_sql", "duckdb_sql_kept", "pandas"],
        cache=tmp_path,
        readers=1,
        dashboard_baseline=3000,
        log=messages.append,
        isolate=False,
        memory_limit="256MB",  # reaches our config.yaml and the SQL side's connection
    )
    # run_benchmark raises BenchError when a side's values of any of the eight KPIs differ from ours
    checked = ours_check_rows(tmp_path / "work" / "3k" / "ours" / "cx.duckdb")
    assert {row[0] for row in checked} == set(CHECKED_DIMENSION)  # every KPI is compared, not just some
    done = {(r["workload"], r["side"]) for r in results["records"]}
    assert {("full", s) for s in ("ours", "duckdb_sql", "duckdb_sql_kept", "pandas", "floor")} <= done
    assert {("incremental", s) for s in ("ours", "duckdb_sql", "pandas")} <= done
    assert ("kpis", "duckdb_sql_kept") not in done  # its KPIs are duckdb_sql's: only its loads differ
    # and it kept the same survey lines as we did (run_benchmark compares them too)
    with duckdb.connect(str(tmp_path / "work" / "3k" / "duckdb_sql_kept" / "sql.duckdb"), read_only=True) as con:
        kept = con.execute("SELECT count(*) FROM rejects WHERE target = 'feedback'").fetchone()
        refused = con.execute("SELECT count(*) FROM rejects WHERE reason LIKE '%check failed%'").fetchone()
    with duckdb.connect(str(tmp_path / "work" / "3k" / "ours" / "cx.duckdb"), read_only=True) as con:
        ours = con.execute("SELECT count(DISTINCT line) FROM meta.rejects WHERE target_table = 'feedback'").fetchone()
    assert kept is not None and ours is not None and refused is not None
    assert kept[0] == ours[0] > 0 and refused[0] > 0
    data = results["datasets"]["3k"]
    assert data["new_day_rows"] > 0
    with (tmp_path / "3k-seed7-corrupt0.01" / "survey_base.csv").open(newline="") as base:
        assert sum(1 for _ in csv.reader(base)) - 1 == data["base_rows"]
    survey_rows = {r["side"]: r["survey_rows"] for r in results["records"] if "survey_rows" in r}
    assert len(set(survey_rows.values())) == 1
    assert 3000 * 0.985 <= survey_rows["ours"] <= 3000 * 0.995  # 1 % of the rows are corrupted
    printed = table(results)
    assert "hand-written DuckDB SQL" in printed and "wall / ours" in printed
    assert "DuckDB memory limit (our refresh and the hand-written SQL): 256MB" in printed
    config = yaml.safe_load((tmp_path / "work" / "3k" / "ours" / "config.yaml").read_text())
    assert config["memory_limit"] == "256MB"
    json.dumps(results, default=str)


def test_a_disagreement_is_reported_not_timed() -> None:
    ours = [("nps", "total", "Total", "2025-01-01", 31.5, 100)]
    assert differences(ours, ours) == []
    assert differences(ours, [("nps", "total", "Total", "2025-01-01", 31.6, 100)]) != []
    assert differences(ours, [("nps", "total", "Total", "2025-01-01", 31.5, 99)]) != []
    assert differences(ours, []) == ["missing ('nps', 'total', 'Total', '2025-01-01')"]


def test_the_new_day_is_split_off_byte_for_byte_even_inside_multiline_comments(tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    header = "Response ID,Submitted At,Comment\n"
    old = 'R1,2026-10-29 10:00:00,"two\nlines, 2026-10-31"\nR2,2026-10-30 09:00:00,fine\n'
    new = 'R3,2026-10-31 01:00:00,"x\n2026-10-30"\nR4,2026-10-31 02:00:00,\n'
    survey.write_text(header + old + new)
    split_last_day(survey, tmp_path / "base.csv", tmp_path / "new.csv")
    assert (tmp_path / "base.csv").read_text() == header + old
    assert (tmp_path / "new.csv").read_text() == header + new


def test_sizes_and_unknown_names() -> None:
    assert [parse_size(s) for s in ("3k", "1m", "10M", "2500")] == [3_000, 1_000_000, 10_000_000, 2_500]
    with pytest.raises(ValueError, match="10x"):
        parse_size("10x")
    with pytest.raises(BenchError, match="sides: ours"):
        run_benchmark(
            [1],
            runs=1,
            workloads=["full"],
            sides=["spark"],
            cache=Path("/nonexistent"),
            readers=1,
            dashboard_baseline=1,
            log=print,
        )
