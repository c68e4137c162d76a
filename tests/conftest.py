"""Shared fixtures: small hand-checkable inputs, and one real build of the bundled demo."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from core.config import AppConfig, load_config
from core.refresh import RefreshReport, refresh

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SURVEY_HEADER = (
    "Response ID,Submitted At,Customer ID,Channel,Region,Journey Stage,Product,Team,"
    "Likelihood to Recommend (0-10),Overall Satisfaction (1-5),Ease of Resolution (1-7),Comment"
)


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs something this machine lacks; under CI a missing tool is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


def write_config(folder: Path, *, only: tuple[str, ...] | None = None, **overrides: Any) -> Path:
    """A config.yaml in `folder` like the bundled one, with the database inside `folder`.

    `only` keeps just the named sources (tests of one source should not depend on the others).
    """
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["database"] = str(folder / "cx.duckdb")
    data["kpi_definitions"] = str(ROOT / "kpis" / "definitions")
    if only is not None:
        data["sources"] = {name: data["sources"][name] for name in only}
        data["kpi_definitions"] = str(_definitions_for(folder, {s["table"] for s in data["sources"].values()}))
    for source in data["sources"].values():
        source["path"] = str(ROOT / source["path"])
    if data.get("annotations"):
        data["annotations"] = str(ROOT / data["annotations"])
    data.update(overrides)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _definitions_for(folder: Path, tables: set[str]) -> Path:
    """A copy of the bundled KPI files that read only the given tables."""
    kpis = folder / "bundled_kpis"
    kpis.mkdir(exist_ok=True)
    for file in (ROOT / "kpis" / "definitions").glob("*.yaml"):
        data = yaml.safe_load(file.read_text())
        needs = {s["table"] for s in data.get("sources", [])} or {data["table"]}
        if needs <= tables:
            shutil.copy(file, kpis / file.name)
    return kpis


@pytest.fixture
def survey_config(tmp_path: Path) -> Callable[..., AppConfig]:
    """Make a config whose survey source reads a CSV written from the given data lines."""

    def make(*lines: str, kpi_dir: Path | None = None, **overrides: Any) -> AppConfig:
        csv = tmp_path / "survey.csv"
        csv.write_text("\n".join([SURVEY_HEADER, *lines]) + "\n", encoding="utf-8")
        path = write_config(tmp_path, only=("survey_responses",), **overrides)
        data = yaml.safe_load(path.read_text())
        data["sources"]["survey_responses"]["path"] = str(csv)
        if kpi_dir is not None:
            data["kpi_definitions"] = str(kpi_dir)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_config(path)

    return make


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[AppConfig, RefreshReport]:
    """The bundled demo data refreshed once into a temporary database, shared by the tests."""
    folder = tmp_path_factory.mktemp("demo")
    config = load_config(write_config(folder))
    report = refresh(config)
    assert report.ok, [load.error for load in report.failed_sources] + [
        str(p) for outcome in report.kpis.failed for p in outcome.problems
    ]
    return config, report


@pytest.fixture
def demo_db(demo_build: tuple[AppConfig, RefreshReport]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(demo_build[0].database), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests save screenshots for a reviewer to look at (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
