"""Every kind of broken KPI file gets one message with its file, its line and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from core.definition_tests import run_definition_tests
from core.errors import KpiDefinitionError
from kpis.compile import PeriodSettings, compile_kpi
from kpis.compute import raw_schema
from kpis.definitions import load_definition, load_definitions
from tests.conftest import FIXTURES, ROOT

BAD = FIXTURES / "bad_kpis"

# file, line, words the message must contain, words the fix must contain
CASES = [
    ("unknown_key.yaml", 8, "'ownr' is not a known key", "did you mean 'owner'?"),
    ("missing_owner.yaml", 1, "'owner' is required but missing", "add 'owner:'"),
    ("wrong_value_type.yaml", 8, "'min_n'", "write a whole number"),
    ("unknown_type.yaml", 3, "unknown type 'nsp'", "'nps'"),
    ("yaml_syntax.yaml", 7, "not valid YAML", "indentation"),
    ("injected_filter.yaml", 8, "must be one SQL condition", None),
    ("file_access_filter.yaml", 8, "may not use", None),
    ("band_outside_scale.yaml", 1, "promoters band 9..11 must lie within the scale 0..10", None),
    ("targets_out_of_order.yaml", 1, "targets must be listed in order", None),
    ("loop_wrong_direction.yaml", 1, "for statistic median_hours, set direction: lower_is_better", None),
    ("balance_injected_rule.yaml", 9, "sources.0.positive", None),
    ("engagement_unknown_item.yaml", 1, "theme 'Growth' lists ['growth'], which are not among the items", None),
    ("ratio_not_aggregate.yaml", 7, "must aggregate the rows", None),
    ("owners_unknown_dimension.yaml", 1, "owners are given for ['region']", None),
]


@pytest.mark.parametrize(("file", "line", "message", "fix"), CASES, ids=[c[0] for c in CASES])
def test_bad_definition_is_reported_with_file_line_and_fix(file: str, line: int, message: str, fix: str | None) -> None:
    definition, problems = load_definition(BAD / file)
    assert definition is None
    assert len(problems) == 1, problems
    problem = problems[0]
    text = str(problem)
    assert problem.file == BAD / file
    assert problem.line == line, text
    assert f"{file}:{line}" in text
    assert message in text
    if fix is not None:
        assert problem.fix is not None and fix in problem.fix, text


def test_all_problems_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    file = tmp_path / "many.yaml"
    file.write_text(
        "name: x\ndisplay_name: X\ntype: nps\ndescription: d\ntable: feedback\ntime_column: t\n"
        "score: s\nmin_n: lots\ngrains: [monthly]\nowner: {nam: A}\n"
    )
    _, problems = load_definition(file)
    lines = sorted(p.line or 0 for p in problems)
    assert lines == [8, 9, 10], [str(p) for p in problems]  # owner.nam: one problem, "did you mean"


def test_unknown_columns_are_found_against_the_table_with_did_you_mean() -> None:
    definition, _ = load_definition(BAD / "unknown_column.yaml")
    assert definition is not None
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.feedback (responded_at TIMESTAMPTZ, nps BIGINT, region VARCHAR, channel VARCHAR)")
    with pytest.raises(KpiDefinitionError) as caught:
        compile_kpi(definition, raw_schema(con), PeriodSettings())
    texts = [str(p) for p in caught.value.problems]
    assert any("unknown_column.yaml:7" in t and "'npss'" in t and "did you mean 'nps'?" in t for t in texts), texts
    assert any("unknown_column.yaml:8" in t and "'chanel'" in t and "did you mean 'channel'?" in t for t in texts), (
        texts
    )


def test_a_table_that_was_never_loaded_is_reported() -> None:
    definition, _ = load_definition(BAD / "unknown_column.yaml")
    assert definition is not None
    with pytest.raises(KpiDefinitionError, match="has not been loaded"):
        compile_kpi(definition, {}, PeriodSettings())


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    shutil.copy(ROOT / "kpis" / "definitions" / "nps.yaml", tmp_path / "nps.yaml")
    shutil.copy(BAD / "unknown_key.yaml", tmp_path / "broken.yaml")
    catalog = load_definitions(tmp_path)
    assert [d.name for d in catalog.definitions] == ["nps"]
    assert [p.subject for p in catalog.problems] == ["nps_unknown_key"]


def test_two_files_may_not_define_the_same_kpi(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(ROOT / "kpis" / "definitions" / "nps.yaml", tmp_path / name)
    catalog = load_definitions(tmp_path)
    assert len(catalog.definitions) == 1
    assert "already used by a.yaml" in str(catalog.problems[0])


def test_bundled_definitions_are_all_valid() -> None:
    catalog = load_definitions(ROOT / "kpis" / "definitions")
    assert catalog.problems == ()
    assert catalog.definitions


def test_a_kpi_files_own_test_case_reports_the_value_it_got() -> None:
    definition, problems = load_definition(BAD / "failing_test_case.yaml")
    assert definition is not None, problems
    found = run_definition_tests(definition, PeriodSettings())
    assert [(p.file, p.line, p.message) for p in found] == [
        (BAD / "failing_test_case.yaml", 16, "test 'two promoters and a detractor': value is 33.3333, expected 50")
    ]


def test_the_bundled_definitions_pass_their_own_tests() -> None:
    catalog = load_definitions(ROOT / "kpis" / "definitions")
    assert catalog.problems == ()
    assert {d.spec.type for d in catalog.definitions} >= {
        "nps", "proportion", "mean", "positive_negative", "loop_closure", "engagement"
    }  # fmt: skip
    for definition in catalog.definitions:
        assert definition.spec.tests or definition.name == "enps", f"{definition.name} carries no test case"
        assert run_definition_tests(definition, PeriodSettings("Europe/London")) == []
