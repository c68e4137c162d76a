"""Fixtures for connector tests: a config with given sources, and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from core.config import AppConfig, load_config
from tests.conftest import skip_or_fail

MakeSources = Callable[..., AppConfig]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PASSWORD = "cx-test-secret"


@pytest.fixture
def sources_config(tmp_path: Path) -> MakeSources:
    """A config.yaml in tmp_path with these sources and no KPI files (loading only)."""

    def make(**sources: dict[str, Any]) -> AppConfig:
        kpis = tmp_path / "no_kpis"
        kpis.mkdir(exist_ok=True)
        data = {
            "database": str(tmp_path / "cx.duckdb"),
            "kpi_definitions": str(kpis),
            "timezone": "UTC",
            "sources": sources,
        }
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_config(path)

    return make


def rows(config: AppConfig, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config.database), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str

    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def execute(self, *statements: str) -> None:
        import adbc_driver_postgresql.dbapi as postgres

        with postgres.connect(self.uri()) as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            connection.commit()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: str) -> subprocess.CompletedProcess[str]:
    as_root = os.geteuid() == 0
    argv = ["su", "postgres", "-s", "/bin/sh", "-c", command] if as_root else ["/bin/sh", "-c", command]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 started for this test session, with password authentication over TCP."""
    bin_dir = PG_BIN if (PG_BIN / "initdb").exists() else None
    initdb = str(bin_dir / "initdb") if bin_dir else shutil.which("initdb")
    pg_ctl = str(bin_dir / "pg_ctl") if bin_dir else shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        import adbc_driver_postgresql  # noqa: F401
    except ImportError:
        skip_or_fail("adbc-driver-postgresql is not installed (pip install -r requirements.txt)")
    # Not under pytest's tmp folder: that one is private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="cxkpi-postgres-"))
    (folder / "pw").write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(folder / "pw", "postgres", "postgres")
    port = _free_port()
    data = folder / "data"
    init = _as_postgres(
        f"{initdb} -D {data} -U postgres --auth-local=trust --auth-host=scram-sha-256 "
        f"--pwfile={folder / 'pw'} -E UTF8 --locale=C.UTF-8"
    )
    assert init.returncode == 0, init.stderr
    start = _as_postgres(
        f"{pg_ctl} -D {data} -l {folder / 'log'} -o '-c listen_addresses=127.0.0.1 -p {port} -k {folder}' -w start"
    )
    assert start.returncode == 0, start.stderr + (folder / "log").read_text()
    try:
        yield PostgresServer("127.0.0.1", port, "postgres", PG_PASSWORD)
    finally:
        _as_postgres(f"{pg_ctl} -D {data} -m fast stop")
        shutil.rmtree(folder, ignore_errors=True)
