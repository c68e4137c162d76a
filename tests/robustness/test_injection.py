"""SQL injection: payloads through every door that reaches SQL; none executes, none touches a file.

Doors: a KPI file's filter and aggregate fragments (parsed, and a full refresh with the files
that pass), `cli.py query`, the URL parameters the dashboard reads, and the results layer the
widgets' values reach. Each payload tries to write a canary file, attach or create a database,
drop or create a table, read /etc/passwd, install an extension or unlock the configuration. The
test then checks that no canary exists, that no table appeared or vanished, and that no output
holds a line of /etc/passwd.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from core.access import Scope
from core.config import AppConfig
from core.database import read_only
from core.errors import CxKpiError
from core.refresh import RefreshReport, refresh
from kpis import results
from kpis.fragments import FragmentError, parse_aggregate, parse_condition
from tests.conftest import ROOT
from tests.connectors.test_csv_load import GOOD
from tests.test_cli import invoke

PASSWD_MARK = "root:x:0:0"


def payloads(canary: Path) -> list[str]:
    db = canary.with_suffix(".duckdb")
    return [
        f"1 = 1; COPY (SELECT 1) TO '{canary}'",
        f"COPY raw.feedback TO '{canary}'",
        f"nps > 0); COPY (SELECT 1) TO '{canary}'; --",
        f"' ; COPY (SELECT 1) TO '{canary}'; --",
        f"x' OR 1=1; ATTACH '{db}' AS pwned; --",
        f"ATTACH '{db}' AS pwned",
        "1 = 1; CREATE TABLE pwned AS SELECT 1",
        "CREATE TABLE pwned AS SELECT 1",
        "1 = 1; DROP TABLE raw.feedback",
        "'; DROP TABLE kpi.kpi_values; --",
        "nps IN (SELECT 1 FROM read_csv('/etc/passwd'))",
        "EXISTS (SELECT * FROM read_csv('/etc/passwd'))",
        "read_text('/etc/passwd') IS NOT NULL",
        "(SELECT count(*) FROM read_csv_auto('/etc/passwd')) > 0",
        "INSTALL httpfs",
        "1 = 1; LOAD httpfs",
        "SET enable_external_access = true",
        "1 = 1; SET lock_configuration = false",
        "getenv('CXKPI_PSEUDONYM_KEY') IS NOT NULL",
        "current_setting('enable_external_access')",
        "nps > 0 /* ; DROP TABLE raw.feedback */",
        "nps > 0 -- ; DROP TABLE raw.feedback",
        "channel = $$x$$; DROP TABLE raw.feedback",
        "PRAGMA database_list",
        f"query_table('{canary}') IS NULL",
        "system('touch /tmp/cxkpi-pwned')",
    ]


def tables(db: Path) -> set[str]:
    with read_only(db) as con:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    return {row[0] for row in rows}


def _not_state(names: set[str]) -> set[str]:
    """Tables other than each KPI's kept counts, which come and go with the KPIs defined."""
    return {name for name in names if not name.startswith("kpi_state.")}


def assert_nothing_happened(canary: Path, db: Path, before: set[str], outputs: list[str]) -> None:
    assert not canary.exists() and not canary.with_suffix(".duckdb").exists()
    assert not Path("/tmp/cxkpi-pwned").exists()
    assert _not_state(tables(db)) == _not_state(before)
    assert not [out for out in outputs if PASSWD_MARK in out]


def _parses(payload: str) -> bool:
    try:
        parse_condition(payload)
    except FragmentError:
        return False
    return True


@pytest.fixture
def built(survey_config: Callable[..., AppConfig], tmp_path: Path) -> tuple[AppConfig, RefreshReport]:
    config = survey_config(*GOOD)
    report = refresh(config)
    assert report.ok
    return config, report


def test_payloads_in_kpi_fragments_are_refused_or_inert(
    built: tuple[AppConfig, RefreshReport], tmp_path: Path, survey_config: Callable[..., AppConfig]
) -> None:
    config, _ = built
    canary = tmp_path / "canary.csv"
    before = tables(config.database)
    counts: Counter[str] = Counter()
    for payload in payloads(canary):
        for parse in (parse_condition, parse_aggregate):
            counts["fragments"] += 1
            try:
                tree = parse(payload)
            except FragmentError:
                counts["refused"] += 1
                continue
            # what passes is one expression (a comment holding the payload is dropped): run it, on
            # the kind of connection readers get; it may fail, it may not act
            counts["inert"] += 1
            with read_only(config.database) as con, contextlib.suppress(duckdb.Error):
                con.execute(f"SELECT {tree.sql('duckdb')} FROM raw.feedback").fetchall()
    # and through KPI files, all in one real refresh
    kpi_dir = tmp_path / "kpis"
    kpi_dir.mkdir()
    base = yaml.safe_load((ROOT / "kpis" / "definitions" / "nps.yaml").read_text())
    for index, payload in enumerate(payloads(canary)):
        (kpi_dir / f"inj_{index}.yaml").write_text(yaml.safe_dump(base | {"name": f"inj_{index}", "filter": payload}))
    shutil.copy(ROOT / "kpis" / "definitions" / "nps.yaml", kpi_dir / "nps.yaml")
    config = survey_config(*GOOD, kpi_dir=kpi_dir)
    code, output = invoke(config, "validate")
    assert code == 1 and "Traceback" not in output
    counts["kpi files"] = len(payloads(canary))
    counts["kpi files refused by validate"] = len(set(re.findall(r"\[inj_\d+\]", output)))
    report = refresh(config)
    parses = {f"inj_{index}" for index, payload in enumerate(payloads(canary)) if _parses(payload)}
    assert {o.name for o in report.kpis.outcomes if o.ok} == {"nps"} | parses  # the rest were refused
    counts["kpi files computed (payload inside a comment)"] = len(parses)
    # each KPI computed keeps its per-period counts in a table of its own, named after the KPI
    state = {table for table in tables(config.database) if table.startswith("kpi_state.")}
    assert state == {"kpi_state.inputs"} | {f"kpi_state.counts_{name}" for name in {"nps"} | parses}
    assert_nothing_happened(canary, config.database, before, [output])
    print(f"\ninjection via KPI fragments: {dict(counts)}")
    assert counts["refused"] + counts["inert"] == counts["fragments"]
    assert counts["inert"] <= 4  # only the payloads hidden in comments parse, as the condition before them


def test_payloads_through_the_cli_query_are_refused_or_harmless(
    built: tuple[AppConfig, RefreshReport], tmp_path: Path
) -> None:
    config, _ = built
    canary = tmp_path / "canary.csv"
    before = tables(config.database)
    outputs = []
    statements = [
        *payloads(canary),
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"SELECT * FROM raw.feedback; COPY raw.feedback TO '{canary}'",
        f"WITH x AS (SELECT 1) SELECT * FROM x; ATTACH '{canary.with_suffix('.duckdb')}'",
        "SELECT getenv('HOME')",
    ]
    for sql in statements:
        code, output = invoke(config, "query", sql)
        assert code == 1 and "Traceback" not in output, (sql, output)
        outputs.append(output)
    assert_nothing_happened(canary, config.database, before, outputs)
    print(f"\ninjection via cli query: {len(statements)} statements, all refused")


def test_payloads_in_url_parameters_change_nothing(
    built: tuple[AppConfig, RefreshReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = built
    canary = tmp_path / "canary.csv"
    before = tables(config.database)
    monkeypatch.setenv("CXKPI_CONFIG", str(config.file))
    sessions = 0
    for payload in payloads(canary)[::3]:
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        for key in ("grain", "period", "slice", "kpi"):
            app.query_params[key] = payload
        app.run()
        sessions += 1
        assert not app.exception, (payload, app.exception)
        assert [s.value for s in app.selectbox if s.key == "grain"] == ["month"]  # the default, not the payload
        app.switch_page("app_pages/kpi_detail.py").run()
        assert not app.exception, (payload, app.exception)
    assert_nothing_happened(canary, config.database, before, [])
    print(f"\ninjection via URL parameters: {sessions} sessions x 4 parameters")


def test_payloads_as_widget_values_reach_sql_only_as_bound_values(
    built: tuple[AppConfig, RefreshReport], tmp_path: Path
) -> None:
    config, _ = built
    canary = tmp_path / "canary.csv"
    before = tables(config.database)
    calls = 0
    scope = Scope({"region": frozenset({"EMEA"})})
    for payload in payloads(canary):
        with read_only(config.database) as con:
            for found in (
                results.series(con, payload, payload, payload, payload),
                results.series(con, "nps", "month", "region", payload, scope=scope),
                results.values_at_grain(con, payload, payload, payload),
                results.breakdown(con, payload, payload, "2025-01-01"),
                results.dimension_by_period(con, [payload], payload, payload),
                results.loop_backlog(con, payload, payload),
            ):
                calls += 1
                assert found.empty, payload
            try:
                page, total = results.comments(
                    con,
                    table="feedback",
                    time_column="responded_at",
                    score="nps",
                    comment="comment",
                    since="2000-01-01",
                    until="2100-01-01",
                    scores=(0, 10),
                    where={"channel": payload, payload: "x"},
                    limit=10,
                )
                calls += 1
                assert total == 0 and page.empty
            except CxKpiError:
                calls += 1
    assert_nothing_happened(canary, config.database, before, [])
    print(f"\ninjection via results-layer (widget values): {calls} calls")
