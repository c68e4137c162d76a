"""PostgreSQL (live, or a restored dump): a table or a query, credentials only from the environment.

config.yaml names environment variables, never a secret: either `dsn_env` (a variable holding a
postgresql:// URI) or host/port/database/user with `password_env`.
"""

from __future__ import annotations

import os
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field, model_validator

from connectors.database_source import DatabaseReader, DatabaseSourceBase, missing_driver
from core.errors import ConnectorError, Problem

DRIVER = "adbc-driver-postgresql==1.13.0"


class PostgresSourceSpec(DatabaseSourceBase):
    """A PostgreSQL table or query."""

    type: Literal["postgres"]
    dsn_env: str | None = Field(
        default=None, description="Environment variable holding a postgresql://user:password@host:port/db URI."
    )
    host: str | None = None
    port: int = 5432
    database: str | None = None
    user: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable holding the password.")
    connect_timeout: int = Field(default=10, ge=1, description="Seconds to wait for the server.")

    @model_validator(mode="after")
    def _where_to_connect(self) -> PostgresSourceSpec:
        if self.dsn_env is None and (self.host is None or self.database is None or self.user is None):
            raise ValueError("set dsn_env, or host, database and user (with password_env if a password is needed)")
        return self


class PostgresReader(DatabaseReader):
    spec: PostgresSourceSpec
    dialect = "postgres"

    def label(self) -> str:
        return f"postgres:{self.spec.source_table or 'query'}"

    def connect(self) -> Any:
        try:
            import adbc_driver_postgresql.dbapi as postgres
        except ImportError as err:
            raise missing_driver(self.name, "postgres", DRIVER) from err
        try:
            return postgres.connect(self._uri())
        except self.driver_error() as err:
            raise ConnectorError(self.explain(err)) from err

    def _uri(self) -> str:
        spec = self.spec
        if spec.dsn_env is not None:
            uri = self._env(spec.dsn_env, "postgresql://user:password@host:5432/database")
        else:
            password = ""
            if spec.password_env is not None:
                password = ":" + quote(self._env(spec.password_env, "the password"), safe="")
            user = quote(spec.user or "", safe="")
            uri = f"postgresql://{user}{password}@{spec.host}:{spec.port}/{quote(spec.database or '', safe='')}"
        if "connect_timeout" not in uri:
            uri += ("&" if "?" in uri else "?") + f"connect_timeout={spec.connect_timeout}"
        return uri

    def _env(self, variable: str, example: str) -> str:
        value = os.environ.get(variable)
        if not value:
            raise ConnectorError(
                Problem(
                    f"environment variable {variable} is not set",
                    subject=self.name,
                    fix=f"export {variable}=<{example}> before refreshing (secrets never go in config.yaml)",
                )
            )
        return value

    def _server(self) -> str:
        if self.spec.host is not None:
            return f"{self.spec.host}:{self.spec.port}"
        return f"the server in ${self.spec.dsn_env}"

    def explain(self, err: Exception) -> Problem:
        text = " ".join(str(err).split())
        where = self._server()
        secret = f"${self.spec.password_env}" if self.spec.password_env else f"${self.spec.dsn_env}"
        lowered = text.lower()
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            user = self.spec.user or "(from the URI)"
            return Problem(
                f"PostgreSQL at {where} refused the password for user {user}",
                subject=self.name,
                fix=f"set {secret} to the right password",
            )
        unreachable = ("connection refused", "could not translate host name", "timeout expired", "no route to host")
        if any(needle in lowered for needle in unreachable):
            return Problem(
                f"cannot reach PostgreSQL at {where}",
                subject=self.name,
                fix="check host and port: is the server running, and may this machine connect to it?",
            )
        if "database" in lowered and "does not exist" in lowered:
            return Problem(
                f"PostgreSQL at {where} has no database {self.spec.database or '(named in the URI)'}",
                subject=self.name,
                fix="check 'database:' (or the URI)",
            )
        if "relation" in lowered and "does not exist" in lowered:
            return Problem(
                f"PostgreSQL has no table {self.spec.source_table or '(named in the query)'}",
                subject=self.name,
                fix="check 'source_table:' (schema.table) or 'query:' in config.yaml, and the user's rights",
            )
        detail = text.split("Query was:")[0].strip()
        return Problem(f"PostgreSQL error: {detail}", subject=self.name, fix="check the table or query in config.yaml")
