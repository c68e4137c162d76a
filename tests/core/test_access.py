"""Roles from e-mail addresses, and the slice of the data each role may see, applied in SQL."""

from __future__ import annotations

import duckdb
import pytest
from pydantic import ValidationError

from core.access import PAGES, AccessSpec, viewer_for

ACCESS = AccessSpec.model_validate(
    {
        "sign_in": True,
        "roles": {
            "leadership": {"pages": "all"},
            "emea_manager": {"pages": ["scorecard", "kpi"], "rows": {"region": ["EMEA"]}},
            "staff": {"pages": ["scorecard"], "rows": {"region": ["EMEA", "APAC"]}},
        },
        "users": {"dana@lumen.example": "leadership", "sophie@lumen.example": "emea_manager"},
        "default_role": None,
    }
)


def test_sign_in_off_means_everyone_sees_everything() -> None:
    viewer = viewer_for(AccessSpec(), None)
    assert viewer is not None and viewer.pages == frozenset(PAGES) and viewer.scope.unrestricted


def test_a_listed_person_gets_their_role_and_an_unlisted_one_is_refused() -> None:
    dana = viewer_for(ACCESS, "Dana@Lumen.example")
    assert dana is not None and dana.role == "leadership" and dana.scope.unrestricted
    sophie = viewer_for(ACCESS, "sophie@lumen.example")
    assert sophie is not None and sophie.may_open("kpi") and not sophie.may_open("data_health")
    assert sophie.scope.slice == ("region", "EMEA")
    assert viewer_for(ACCESS, "stranger@elsewhere.example") is None
    assert viewer_for(ACCESS, None) is None


def test_patterns_and_a_default_role() -> None:
    access = AccessSpec.model_validate(
        {**ACCESS.model_dump(), "users": {"*@lumen.example": "staff"}, "default_role": "emea_manager"}
    )
    staff = viewer_for(access, "anyone@lumen.example")
    assert staff is not None and staff.role == "staff" and staff.scope.slice is None
    other = viewer_for(access, "x@partner.example")
    assert other is not None and other.role == "emea_manager"


def test_unknown_roles_are_refused_when_the_config_is_read() -> None:
    with pytest.raises(ValidationError, match="not defined"):
        AccessSpec.model_validate({"roles": {}, "users": {"a@b.c": "boss"}})


def test_the_scope_keeps_only_the_viewers_rows_in_sql() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE v AS SELECT * FROM (VALUES ('total', 'Total'), ('region', 'EMEA'), ('region', 'APAC'), "
        "('channel', 'Phone')) t(dimension, dimension_value)"
    )
    sophie = viewer_for(ACCESS, "sophie@lumen.example")
    assert sophie is not None
    condition, params = sophie.scope.kpi_rows()
    assert con.execute(f"SELECT * FROM v WHERE {condition}", params).fetchall() == [("region", "EMEA")]
    con.execute("CREATE TABLE comments AS SELECT * FROM (VALUES ('EMEA', 'ok'), ('APAC', 'no')) t(region, text)")
    condition, params = sophie.scope.raw_rows({"region", "text"})
    assert con.execute(f"SELECT text FROM comments WHERE {condition}", params).fetchall() == [("ok",)]
    condition, params = sophie.scope.raw_rows({"team"})
    assert con.execute(f"SELECT * FROM comments WHERE {condition}", params).fetchall() == []
