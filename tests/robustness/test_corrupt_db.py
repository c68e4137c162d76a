"""A damaged or missing database file: the CLI refuses plainly or rebuilds; the dashboard explains and offers to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.config import AppConfig
from core.database import damage, read_only
from core.errors import DatabaseError
from tests.conftest import ROOT
from tests.connectors.test_csv_load import GOOD
from tests.test_cli import invoke

MakeConfig = Callable[..., AppConfig]
DASHBOARD = str(ROOT / "dashboard.py")


def garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database, it was overwritten by a backup tool\n" * 200)


def truncated(db: Path) -> None:
    content = db.read_bytes()
    db.write_bytes(content[: len(content) // 3])


def zeroed_blocks(db: Path) -> None:
    content = bytearray(db.read_bytes())
    content[8192 : len(content) - 4096] = bytes(len(content) - 8192 - 4096)
    db.write_bytes(bytes(content))


DAMAGES = [garbage, truncated, zeroed_blocks]


def healthy(db: Path) -> int:
    with read_only(db) as con:
        return int(con.execute("SELECT count(*) FROM raw.feedback").fetchall()[0][0])


@pytest.mark.parametrize("damage_file", DAMAGES)
def test_plain_refresh_refuses_a_damaged_file_in_one_line_and_leaves_it(
    survey_config: MakeConfig, damage_file: Callable[[Path], None]
) -> None:
    config = survey_config(*GOOD)
    assert invoke(config, "refresh")[0] == 0
    damage_file(config.database)
    before = config.database.read_bytes()
    assert damage(config.database) is not None
    code, output = invoke(config, "refresh")
    assert code == 1
    assert "damaged" in output and "refresh --full" in output and "Traceback" not in output, output
    assert config.database.read_bytes() == before


@pytest.mark.parametrize("damage_file", DAMAGES)
def test_full_refresh_sets_the_damaged_file_aside_and_rebuilds_from_the_sources(
    survey_config: MakeConfig, damage_file: Callable[[Path], None]
) -> None:
    config = survey_config(*GOOD)
    assert invoke(config, "refresh")[0] == 0
    rows = healthy(config.database)
    damage_file(config.database)
    damaged = config.database.read_bytes()
    code, output = invoke(config, "refresh", "--full")
    assert code == 0, output
    assert "Traceback" not in output
    aside = list(config.database.parent.glob(config.database.name + ".corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    assert damage(config.database) is None and healthy(config.database) == rows


def test_a_missing_file_is_named_with_the_command_that_builds_it(survey_config: MakeConfig) -> None:
    config = survey_config(*GOOD)
    code, output = invoke(config, "query", "SELECT 1")
    assert code == 1 and "no database" in output and "cli.py refresh" in output
    with pytest.raises(DatabaseError):
        healthy(config.database)


@pytest.mark.slow
def test_the_dashboard_explains_a_damaged_file_and_rebuilds_it_on_request(
    survey_config: MakeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = survey_config(*GOOD)
    assert invoke(config, "refresh")[0] == 0
    rows = healthy(config.database)
    garbage(config.database)
    monkeypatch.setenv("CXKPI_CONFIG", str(config.file))
    app = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    assert not app.exception
    assert any("cannot be read" in e.value for e in app.error), [e.value for e in app.error]
    assert not app.metric  # no number drawn from a damaged file
    app.button(key="rebuild_database").click().run()
    assert not app.exception
    assert not any("cannot be read" in e.value for e in app.error), [e.value for e in app.error]
    assert healthy(config.database) == rows
    assert list(config.database.parent.glob("cx.duckdb.corrupt-*"))
    with duckdb.connect(str(config.database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.refreshes").fetchall()[0][0] >= 1
