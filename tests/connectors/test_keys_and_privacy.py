"""Primary keys upsert, pseudonymised columns never reach the file, unknown types and drivers are named."""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError
from core.refresh import refresh
from tests.connectors.conftest import MakeSources, rows

HEADER = "Case,Email,Status\n"
COLUMNS: dict[str, Any] = {
    "case_id": {"from": "Case"},
    "customer_email": {"from": "Email"},
    "status": {"from": "Status", "allowed": ["Open", "Closed"]},
}


def cases(path: str, **extra: Any) -> dict[str, Any]:
    return {"type": "csv", "path": path, "delimiter": ",", "table": "cases", "columns": COLUMNS, **extra}


def test_a_primary_key_upserts_across_files_and_refuses_earlier_duplicates(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "day1.csv").write_text(HEADER + "K1,a@x.com,Open\nK2,b@x.com,Open\nK1,a@x.com,Closed\n")
    config = sources_config(tickets=cases(str(exports / "*.csv"), primary_key=["case_id"]))
    first = refresh(config).loads[0]
    # The file's own later K1 replaces its earlier one: read 3 = loaded 2 + refused 1, with the line.
    assert (first.rows_read, first.rows_loaded, first.rows_rejected) == (3, 2, 1)
    assert rows(config, "SELECT line, column_name, reason FROM meta.rejects") == [
        (2, None, "duplicate primary key (case_id): a later row of this input replaces it")
    ]
    (exports / "day2.csv").write_text(HEADER + "K2,b@x.com,Closed\nK3,c@x.com,Open\n,d@x.com,Open\n")
    second = refresh(config).loads[0]
    assert (second.rows_read, second.rows_loaded, second.rows_rejected) == (3, 2, 1)
    assert rows(config, "SELECT case_id, status, _file FROM raw.cases ORDER BY 1") == [
        ("K1", "Closed", "exports/day1.csv"),
        ("K2", "Closed", "exports/day2.csv"),
        ("K3", "Open", "exports/day2.csv"),
    ]
    assert rows(config, "SELECT line, reason FROM meta.rejects WHERE file = 'exports/day2.csv'") == [
        (4, "case_id: blank, but required")  # a key column is required without saying so
    ]


def test_a_later_duplicate_that_is_refused_does_not_replace_the_valid_earlier_row(
    tmp_path: Path, sources_config: MakeSources
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "K1,a@x.com,Open\nK2,b@x.com,Open\nK1,a@x.com,Lost\nK2,b@x.com,Closed\nK2,b@x.com,Open\n")
    config = sources_config(tickets=cases(str(path), primary_key=["case_id"]))
    load = refresh(config).loads[0]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (5, 2, 3)
    assert rows(config, "SELECT case_id, status FROM raw.cases ORDER BY 1") == [("K1", "Open"), ("K2", "Open")]
    assert rows(config, "SELECT line, split_part(reason, ':', 1) FROM meta.rejects ORDER BY line") == [
        (3, "duplicate primary key (case_id)"),
        (4, "status"),
        (5, "duplicate primary key (case_id)"),
    ]


def test_pseudonymised_columns_are_keyed_hashes_everywhere_in_the_file(
    tmp_path: Path, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_TEST_KEY", "a long random secret")
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "K1,ann@example.com,Open\nK2,bob@example.com,Lost\nK3,cy@example.com,Open,extra\n")
    config = sources_config(
        tickets=cases(str(path), pseudonymise=["customer_email"], pseudonymise_key_env="CX_TEST_KEY")
    )
    assert refresh(config).loads[0].rows_rejected == 2
    expected = hmac.new(b"a long random secret", b"ann@example.com", hashlib.sha256).hexdigest()
    assert rows(config, "SELECT customer_email FROM raw.cases") == [(expected,)]
    database = config.database.read_bytes()
    assert b"@example.com" not in database  # neither the loaded row nor the two rejects
    originals = [r[0] for r in rows(config, "SELECT original FROM meta.rejects ORDER BY line")]
    bob = hmac.new(b"a long random secret", b"bob@example.com", hashlib.sha256).hexdigest()
    cy = hmac.new(b"a long random secret", b"cy@example.com", hashlib.sha256).hexdigest()
    hashed = [
        hmac.new(b"a long random secret", v.encode(), hashlib.sha256).hexdigest() for v in ("K3", "Open", "extra")
    ]
    # a line whose fields do not line up with the header has every field hashed: the e-mail could be anywhere
    assert bob in originals[0] and originals[1] == f"{hashed[0]},{cy},{hashed[1]},{hashed[2]}"


def test_pseudonymising_without_a_key_is_one_line_saying_which_variable(
    tmp_path: Path, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CXKPI_PSEUDONYM_KEY", raising=False)
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "K1,ann@example.com,Open\n")
    report = refresh(sources_config(tickets=cases(str(path), pseudonymise=["customer_email"])))
    error = report.loads[0].error or ""
    assert "environment variable CXKPI_PSEUDONYM_KEY is not set" in error and "export CXKPI_PSEUDONYM_KEY=" in error
    assert report.loads[0].rows_loaded == 0


def test_an_unknown_source_type_lists_the_known_ones(tmp_path: Path, sources_config: MakeSources) -> None:
    with pytest.raises(ConfigError) as raised:
        sources_config(tickets=cases("x.csv") | {"type": "xlsx"})
    message = str(raised.value)
    for kind in ("csv", "parquet", "json", "excel", "sqlite", "postgres"):
        assert kind in message


def test_a_missing_driver_names_the_package_to_install(
    tmp_path: Path, sources_config: MakeSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.sqlite").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite.dbapi", None)  # import now fails
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)
    source = {"type": "sqlite", "path": str(tmp_path / "x.sqlite"), "source_table": "t", "table": "t",
              "columns": {"a": {}}}  # fmt: skip
    report = refresh(sources_config(t=source))
    assert "needs adbc-driver-sqlite, which is not installed; pip install adbc-driver-sqlite==1.13.0" in (
        report.loads[0].error or ""
    )
