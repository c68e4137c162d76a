"""KPI computation runs on a connection that cannot touch the file system."""

from __future__ import annotations

import duckdb
import pytest

from kpis.compile import PeriodSettings
from kpis.compute import compute_all
from kpis.definitions import load_definitions
from tests.conftest import ROOT


def test_after_computing_kpis_the_connection_cannot_read_files() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.feedback AS SELECT TIMESTAMPTZ '2026-01-05 10:00+00' AS responded_at, 9 AS nps, "
        "'Phone' AS channel, 'EMEA' AS region, 'Billing' AS journey_stage, 'A' AS team, 'Mobile' AS product"
    )
    catalog = load_definitions(ROOT / "kpis" / "definitions")
    run = compute_all(con, catalog, PeriodSettings(), "r1")
    assert any(o.name == "nps" and o.ok for o in run.outcomes)
    with pytest.raises(duckdb.PermissionException):
        con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.PermissionException):
        con.execute("COPY raw.feedback TO '/tmp/leak.csv'")
