"""Data flows one way; the Streamlit layer only presents. Checked on the source, every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE_PACKAGES = ("kpis", "connectors", "core")
UI_FILES = [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
SQL = re.compile(r"\b(SELECT|select)\b.+\b(FROM|from)\b")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_the_core_never_imports_streamlit(package: str) -> None:
    offenders = [p.name for p in python_files(package) if {"streamlit", "ui", "altair"} & imported_modules(p)]
    assert offenders == []


def test_connectors_know_nothing_about_kpis() -> None:
    assert [p.name for p in python_files("connectors") if "kpis" in imported_modules(p)] == []


def test_kpis_never_open_a_database_file() -> None:
    offenders = [
        p.name for p in python_files("kpis") if "duckdb.connect(" in p.read_text() or "core.database" in p.read_text()
    ]
    assert offenders == []


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_the_streamlit_layer_has_no_sql_and_no_duckdb(path: Path) -> None:
    assert "duckdb" not in imported_modules(path)
    assert not SQL.search(path.read_text())


def test_pages_get_data_only_through_the_cached_module() -> None:
    for page in (ROOT / "app_pages").glob("*.py"):
        modules = imported_modules(page)
        assert not {"kpis", "connectors", "core"} & modules, page.name


def test_no_work_at_import_time() -> None:
    """Importing the core must not open files or connections: module bodies only define things."""
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Expr)
    for package in CORE_PACKAGES:
        for path in python_files(package):
            for node in ast.parse(path.read_text()).body:
                assert isinstance(node, allowed), f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(node, ast.Expr):
                    assert isinstance(node.value, ast.Constant), f"{path.relative_to(ROOT)}:{node.lineno}"
