"""The anonymity minimum holds in every table and view the dashboard, exports, report and analysts read."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from core.access import Scope
from core.config import AppConfig
from core.database import read_only
from core.refresh import refresh
from kpis import results
from tests.connectors.test_csv_load import BAD, GOOD


def test_no_score_of_a_group_under_the_anonymity_minimum_is_stored_anywhere(demo_db: duckdb.DuckDBPyConnection) -> None:
    minimums = dict(
        demo_db.execute("SELECT kpi, anonymity_min FROM kpi.catalog WHERE anonymity_min IS NOT NULL").fetchall()
    )
    assert minimums, "the demo has an employee KPI with an anonymity minimum"
    for relation in ("kpi.kpi_values", "kpi.latest"):
        leaks = demo_db.execute(
            f"SELECT kpi, grain, dimension, dimension_value, n FROM {relation} v "
            "JOIN (SELECT kpi AS k, anonymity_min FROM kpi.catalog) c ON c.k = v.kpi "
            "WHERE v.n < c.anonymity_min AND (v.value IS NOT NULL OR v.ci_low IS NOT NULL OR v.ci_high IS NOT NULL "
            "OR v.positive IS NOT NULL OR v.negative IS NOT NULL OR v.details IS NOT NULL OR NOT v.suppressed)"
        ).fetchall()
        assert not leaks, (relation, leaks[:5])
    small = demo_db.execute(
        "SELECT count(*) FROM kpi.kpi_values v JOIN kpi.catalog c USING (kpi) WHERE v.n < c.anonymity_min"
    ).fetchall()[0][0]
    assert small > 0, "the demo has groups under the minimum, so this test can fail"


def test_a_restricted_viewer_sees_where_rows_were_refused_but_never_their_text(
    survey_config: Callable[..., AppConfig],
) -> None:
    config = survey_config(*GOOD, *BAD)
    assert refresh(config).loads[0].rows_rejected == len(BAD)
    with read_only(config.database) as con:
        everything, total = results.rejects(con, None, 100)
        restricted, restricted_total = results.rejects(con, None, 100, Scope({"region": frozenset({"EMEA"})}))
    assert total == restricted_total == len(everything) == len(restricted) > 0
    assert everything["original"].notna().all()
    assert restricted["original"].isna().all()
    assert not restricted["reason"].str.contains(":").any()  # only the kind of error, no quoted value
    assert list(restricted["line"]) == list(everything["line"])
