"""config.yaml: the bundled one is valid; each kind of mistake is named with file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from core.errors import ConfigError
from tests.conftest import FIXTURES, ROOT

BAD = FIXTURES / "bad_config"

CASES = [
    ("unknown_key.yaml", 1, "'databse' is not a known key", "did you mean 'database'?"),
    ("bad_timezone.yaml", 2, "is not a time zone name", None),
    ("bad_memory_limit.yaml", 2, "'memory_limit'", "e.g. '1GB' or '512MB'"),
    ("bad_week_start.yaml", 2, "'week_start'", None),
    ("unknown_source_type.yaml", 4, "unknown type 'spreadsheet'", "'csv'"),
    ("source_unknown_key.yaml", 6, "'sources.survey.delimeter' is not a known key", "did you mean 'delimiter'?"),
    ("bad_column_type.yaml", 9, "'sources.survey.columns.nps.type'", None),
    ("min_above_max.yaml", 8, "min (10.0) is larger than max (0.0)", None),
    ("not_a_mapping.yaml", 1, "must be a set of 'key: value' lines", None),
    ("bad_table_name.yaml", 5, "must be a snake_case name", None),
    # names starting with '_' are the loader's own (_source, _file, _load_id): a column cannot take one
    ("column_name_like_lineage.yaml", 8, "starting with a letter", None),
]


def test_the_bundled_config_is_valid() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.database == ROOT / "data" / "cx.duckdb"
    assert config.kpi_definitions == ROOT / "kpis" / "definitions"
    assert config.week_start == 0
    assert "survey_responses" in config.spec.sources


@pytest.mark.parametrize(("file", "line", "message", "fix"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_reported_with_file_line_and_fix(file: str, line: int, message: str, fix: str | None) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(BAD / file)
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    text = str(problems[0])
    assert f"{file}:{line}" in text, text
    assert message in text, text
    if fix is not None:
        assert fix in text, text


def test_a_missing_config_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CXKPI_CONFIG"):
        load_config(tmp_path / "nope.yaml")


def test_the_config_can_be_chosen_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database: elsewhere.duckdb\n")
    monkeypatch.setenv("CXKPI_CONFIG", str(path))
    assert load_config().database == tmp_path / "elsewhere.duckdb"
