"""SQLite files (database exports from ticketing and CRM tools): a table or a query."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import duckdb
from pydantic import Field

from connectors.base import SourceInput, StagedInput
from connectors.database_source import DatabaseReader, DatabaseSourceBase, missing_driver
from connectors.files import file_checksum, matching_files
from core.errors import Problem

DRIVER = "adbc-driver-sqlite==1.13.0"


class SqliteSourceSpec(DatabaseSourceBase):
    """A SQLite database file."""

    type: Literal["sqlite"]
    path: str = Field(description="The .sqlite / .db file, relative to config.yaml.")


class SqliteReader(DatabaseReader):
    spec: SqliteSourceSpec
    dialect = "sqlite"

    def label(self) -> str:
        file = self._file().label
        return f"{file}:{self.spec.source_table or 'query'}"

    def _file(self) -> SourceInput:
        return matching_files(self.name, self.spec.path, self.root)[0]

    def connect(self) -> Any:
        try:
            import adbc_driver_sqlite.dbapi as sqlite
        except ImportError as err:
            raise missing_driver(self.name, "sqlite", DRIVER) from err
        path = self._file().path
        return sqlite.connect(f"file:{path}?mode=ro")

    def checksum(self, con: duckdb.DuckDBPyConnection, item: SourceInput, previous: str | None) -> str:
        if self.spec.cursor is not None:
            return super().checksum(con, item, previous)
        # The file itself tells whether anything changed: no need to read it to know.
        path = self._file().path
        assert path is not None
        query = hashlib.blake2b(self.query_text(None).encode(), digest_size=8).hexdigest()
        return f"{file_checksum(path, previous.rpartition(':')[0] if previous else None)}:{query}"

    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        if self.spec.cursor is None:
            self.fetch(con, None)
        return super().stage(con, item, staging_table)

    def explain(self, err: Exception) -> Problem:
        text = str(err).strip().splitlines()[0]
        if "no such table" in text:
            return Problem(
                f"{self._file().label} has no table {self.spec.source_table!r} ({text})",
                subject=self.name,
                fix="check 'source_table:' (or 'query:') in config.yaml",
            )
        return Problem(
            f"could not read {self._file().label}: {text}",
            subject=self.name,
            fix="check that the file is a SQLite database and the table or query in config.yaml",
        )
