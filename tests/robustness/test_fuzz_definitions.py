"""Fuzzed definitions: randomly damaged KPI files and config.yaml never give a traceback.

Each example takes a bundled file and applies one to three mutations (a line deleted, duplicated
or re-indented, a value swapped for a wrong type or an SQL payload, an unknown key, junk bytes,
truncation, another encoding). The file must then either load (and compile against the demo
tables), or be refused with problems that each name the file and a line. Anything else, a
ValueError, a TypeError, a sqlglot or PyYAML exception, fails the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.annotations import load_annotations
from core.config import load_config
from core.errors import CxKpiError, Problem
from kpis.compile import PeriodSettings, compile_kpi
from kpis.compute import raw_schema
from kpis.definitions import load_definition
from tests.conftest import ROOT

KPI_FILES = sorted((ROOT / "kpis" / "definitions").glob("*.yaml"))
EXAMPLES = 150  # per kind of file: 300 in all

WRONG_VALUES = [
    "[1, 2]",
    "{a: 1}",
    "yes",
    "~",
    "-1",
    "1e999",
    "2025-13-45",
    "2025-02-30 25:61:00",
    "0x1F",
    ".nan",
    '"' + "x" * 5000 + '"',
    "&anchor [*anchor]",
    "!!python/object/apply:os.system ['touch /tmp/cxkpi-pwned']",
    '"1 = 1; DROP TABLE raw.feedback"',
    "\"nps > 0 OR read_csv('/etc/passwd') IS NOT NULL\"",
    "\"COPY raw.feedback TO '/tmp/cxkpi-pwned.csv'\"",
    "\"x IN (SELECT 1); ATTACH '/tmp/cxkpi-pwned.duckdb'\"",
    '"nps >= 9 /* unclosed"',
    '"channel = \'store"',
    "'comment IS NOT NULL'",
    '"INSTALL httpfs; LOAD httpfs"',
    '"SET enable_external_access = true"',
]
JUNK = ["\t", ":", "- ", "{", "]", "'", '"', "&", "*", "!", "%", "@", "`", "\x00", "\ufeff", "é", "😀", "\r", "\\"]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> bytes:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(
                ["delete", "duplicate", "indent", "dedent", "value", "unknown_key", "junk", "truncate", "swap"]
            )
        )
        line = lines[at]
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, line)
        elif kind == "indent":
            lines[at] = draw(st.sampled_from(["  ", " ", "\t", "    "])) + line
        elif kind == "dedent":
            lines[at] = line.lstrip()
        elif kind == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[at] = f"{key}: {draw(st.sampled_from(WRONG_VALUES))}"
        elif kind == "unknown_key":
            lines.insert(
                at, f"{line[: len(line) - len(line.lstrip())]}{draw(st.sampled_from(['ownr', 'x', 'type2']))}: 1"
            )
        elif kind == "junk":
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.sampled_from(JUNK)) + line[cut:]
        elif kind == "truncate":
            lines = lines[: at + 1]
            lines[at] = line[: draw(st.integers(0, len(line)))]
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    body = "\n".join(lines) + "\n"
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["latin-1", "utf-16"]))
    return body.encode(encoding, errors="replace")


def assert_pointed(problems: tuple[Problem, ...] | list[Problem], file: Path) -> None:
    assert problems
    for problem in problems:
        assert problem.file is not None and problem.file.resolve() == file.resolve(), str(problem)
        assert problem.line is not None and problem.line >= 1, str(problem)
        assert "Traceback" not in str(problem)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.mark.slow
def test_mutated_kpi_files_load_or_are_refused_with_file_and_line(
    tmp_path: Path, demo_db: duckdb.DuckDBPyConnection
) -> None:
    schema = raw_schema(demo_db)
    periods = PeriodSettings(timezone="Europe/London", week_start=0)
    counts: Counter[str] = Counter()
    sources = {file.name: file.read_text(encoding="utf-8") for file in KPI_FILES}

    @FUZZ_SETTINGS
    @given(data=st.data())
    def attempt(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(sources)))
        file = tmp_path / name
        file.write_bytes(data.draw(mutated(sources[name])))
        counts["tried"] += 1
        definition, problems = load_definition(file)
        if definition is None:
            counts["refused"] += 1
            counts["problems"] += len(problems)
            assert_pointed(problems, file)
            return
        try:
            compile_kpi(definition, schema, periods)
            counts["compiled"] += 1
        except CxKpiError as err:
            counts["refused at compile"] += 1
            counts["problems"] += len(err.problems)
            assert_pointed(err.problems, file)

    attempt()
    print(f"\nfuzzed KPI files: {dict(counts)}")
    assert counts["tried"] == EXAMPLES
    assert counts["refused"] >= EXAMPLES // 3 and counts["compiled"] >= 1, counts
    assert not Path("/tmp/cxkpi-pwned").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "load", "least_refused"),
    [("config.yaml", load_config, EXAMPLES // 3), ("annotations.yaml", load_annotations, EXAMPLES // 4)],
    ids=["config", "annotations"],
)
def test_mutated_config_and_annotation_files_load_or_are_refused_with_file_and_line(
    tmp_path: Path, name: str, load: Callable[[Path], object], least_refused: int
) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    counts: Counter[str] = Counter()

    @FUZZ_SETTINGS
    @given(content=mutated(text))
    def attempt(content: bytes) -> None:
        file = tmp_path / name
        file.write_bytes(content)
        counts["tried"] += 1
        try:
            load(file)
            counts["loaded"] += 1
        except CxKpiError as err:
            counts["refused"] += 1
            counts["problems"] += len(err.problems)
            assert_pointed(err.problems, file)

    attempt()
    print(f"\nfuzzed {name} files: {dict(counts)}")
    assert counts["tried"] == EXAMPLES
    assert counts["refused"] >= least_refused and counts["loaded"] >= 1, counts
    assert not Path("/tmp/cxkpi-pwned").exists()


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"name: 2025-13-45\ntype: nps\n", 1, "snake_case"),  # PyYAML raised ValueError: month must be in 1..12
        (b"name: nps\ndisplay_name: caf\xe9\n", 2, "not UTF-8"),  # raised UnicodeDecodeError
        (b"name: nps\n? [a, b]\n: x\n", 2, "single word"),  # raised TypeError: unhashable type: 'list'
        (b"name: nps\ntype: nps\nname: csat\n", 3, "written twice, on lines 1 and 3"),  # silently took the last
        (b"- name: nps\n- type: nps\n", 1, "'key: value' lines"),
    ],
)
def test_damaged_kpi_files_that_used_to_crash(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    file = tmp_path / "damaged.yaml"
    file.write_bytes(content)
    definition, problems = load_definition(file)
    assert definition is None
    assert_pointed(problems, file)
    assert problems[0].line == line and message in str(problems[0]), problems
