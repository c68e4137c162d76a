"""The command line: clear output, exit codes that scripts can trust, never a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import yaml
from click.testing import CliRunner

from cli import cli
from core.config import AppConfig
from tests.conftest import FIXTURES
from tests.connectors.test_csv_load import BAD, GOOD

MakeConfig = Callable[..., AppConfig]


def invoke(config: AppConfig, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config.file), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_refresh_reports_rows_per_source_and_kpis(survey_config: MakeConfig) -> None:
    code, output = invoke(survey_config(*GOOD, BAD[0]), "refresh")
    assert code == 0, output
    assert "survey_responses: 4 rows loaded, 1 rejected from 1 file(s)" in output
    assert "kpi nps:" in output
    assert "Traceback" not in output


def test_refresh_exits_non_zero_when_a_source_fails(survey_config: MakeConfig, tmp_path: Path) -> None:
    config = survey_config(*GOOD)
    (tmp_path / "survey.csv").unlink()
    code, output = invoke(config, "refresh")
    assert code == 1
    assert "survey_responses: FAILED, previous data kept" in output
    assert "file not found" in output


def test_validate_passes_on_the_bundled_definitions(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    invoke(config, "refresh")
    code, output = invoke(config, "validate")
    assert code == 0, output
    assert "OK: config.yaml and 3 KPI definition(s) are valid." in output


def test_validate_lists_every_problem_with_file_and_line(survey_config: MakeConfig, tmp_path: Path) -> None:
    kpi_dir = tmp_path / "kpis"
    kpi_dir.mkdir()
    for name in ("unknown_key.yaml", "wrong_value_type.yaml", "unknown_column.yaml"):
        shutil.copy(FIXTURES / "bad_kpis" / name, kpi_dir / name)
    config = survey_config(*GOOD, kpi_dir=kpi_dir)
    invoke(config, "refresh")
    code, output = invoke(config, "validate")
    assert code == 1
    assert "unknown_key.yaml:8" in output and "did you mean 'owner'?" in output
    assert "wrong_value_type.yaml:8" in output
    assert "unknown_column.yaml:7" in output and "did you mean 'nps'?" in output


def test_validate_reports_a_broken_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    shutil.copy(FIXTURES / "bad_config" / "unknown_key.yaml", path)
    result = CliRunner().invoke(cli, ["--config", str(path), "validate"])
    assert result.exit_code == 1
    assert "config.yaml:1" in result.output and "did you mean 'database'?" in result.output


def test_query_prints_a_table(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    invoke(config, "refresh")
    code, output = invoke(config, "query", "SELECT response_id, nps FROM raw.feedback ORDER BY 1 LIMIT 2")
    assert code == 0, output
    assert "R1" in output and "R2" in output and "R3" not in output


def test_query_is_read_only_and_cannot_touch_files(survey_config: MakeConfig, tmp_path: Path) -> None:
    config = survey_config(*GOOD)
    invoke(config, "refresh")
    for sql in (
        "DELETE FROM raw.feedback",
        "SELECT 1; DROP TABLE raw.feedback",
        f"COPY raw.feedback TO '{tmp_path}/x.csv'",
    ):
        code, output = invoke(config, "query", sql)
        assert code == 1 and "one SELECT statement" in output, (sql, output)
    code, output = invoke(config, "query", "SELECT * FROM read_csv('/etc/passwd')")
    assert code == 1 and "query failed" in output
    assert not (tmp_path / "x.csv").exists()
    assert "│ 4 │" in invoke(config, "query", "SELECT count(*) AS n FROM raw.feedback")[1]


def test_query_without_a_database_says_how_to_build_it(tmp_path: Path, survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    code, output = invoke(config, "query", "SELECT 1")
    assert code == 1
    assert "no database" in output and "cli.py refresh" in output


def test_the_config_option_is_honoured_for_every_path(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    data = yaml.safe_load(config.file.read_text())
    assert Path(data["database"]).parent == config.file.parent


def test_show_sql_prints_the_query_and_it_runs_to_the_stored_counts(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    invoke(config, "refresh")
    code, output = invoke(config, "show-sql", "nps")
    assert code == 0, output
    assert "GROUPING SETS" in output and 'raw."feedback"' in output
    with duckdb.connect(str(config.database), read_only=True) as con:
        con.execute("SET TimeZone = ?", [config.timezone])
        counts = con.execute(
            f"SELECT n, positive, negative FROM ({output}) WHERE grain = 'month' AND dimension = 'total'"
        ).fetchall()
        stored = con.execute(
            "SELECT n, positive, negative FROM kpi.kpi_values WHERE kpi = 'nps' AND grain = 'month' "
            "AND dimension = 'total'"
        ).fetchall()
    assert counts == stored


def test_show_sql_of_an_unknown_kpi_lists_the_known_ones(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    invoke(config, "refresh")
    code, output = invoke(config, "show-sql", "npx")
    assert code == 1
    assert "no KPI called 'npx'; KPIs defined: ces, csat, nps" in output


def test_compute_recomputes_kpis_without_reading_the_sources(survey_config: MakeConfig, tmp_path: Path) -> None:
    config = survey_config(*GOOD)
    code, output = invoke(config, "compute")
    assert code == 1 and "there is no database to compute KPIs on yet" in output
    invoke(config, "refresh")
    (tmp_path / "survey.csv").unlink()  # the sources are not read again
    code, output = invoke(config, "compute")
    assert code == 0, output
    assert "kpi nps:" in output and "survey_responses" not in output


def test_a_refresh_says_which_kpis_it_kept_unchanged_and_compute_recomputes_them(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    code, first = invoke(config, "refresh")
    assert code == 0 and "kpi nps: " in first and "unchanged" not in first, first
    code, again = invoke(config, "refresh")  # no source changed
    assert code == 0, again
    assert "kpi nps: unchanged, kept (" in again and "kpi csat: unchanged, kept (" in again
    assert "wins wall: unchanged, kept" in again
    code, computed = invoke(config, "compute")
    assert code == 0 and "unchanged" not in computed and "wins wall: rebuilt" in computed
    code, full = invoke(config, "refresh", "--full")
    assert code == 0 and "unchanged" not in full


def test_report_writes_one_html_file_with_the_dashboards_numbers(
    demo_build: tuple[AppConfig, object], tmp_path: Path
) -> None:
    config, _ = demo_build
    out = tmp_path / "scorecard.html"
    code, output = invoke(config, "report", "--out", str(out))
    assert code == 0, output
    document = out.read_text()
    with duckdb.connect(str(config.database), read_only=True) as con:
        count = con.execute("SELECT count(*) FROM kpi.catalog WHERE status = 'ok'").fetchone()
        nps = con.execute(
            "SELECT value FROM kpi.latest WHERE kpi = 'nps' AND grain = 'month' AND dimension = 'total'"
        ).fetchone()
    assert count is not None and nps is not None
    assert document.count("data:image/png;base64,") == count[0]  # every chart embedded: no external file
    assert f"<div class='value'>{nps[0]:,.0f}</div>" in document
    assert "src='http" not in document and 'src="http' not in document
