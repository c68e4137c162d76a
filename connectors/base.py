"""What every source type shares: its spec fields and the contract of its reader."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import Field

from connectors.columns import ColumnSpec
from core.spec import Identifier, Spec


class SourceBase(Spec):
    """Fields every source has, whatever its `type:`."""

    type: str = Field(description="Source type; each subclass narrows it to its own literal.")
    table: Identifier = Field(description="Table the rows land in, e.g. feedback or cases.")
    columns: dict[Identifier, ColumnSpec] = Field(
        description="Target column name -> where it comes from, its type and its checks."
    )
    description: str | None = None
    timezone: str | None = Field(
        default=None,
        description="Zone of time stamps written without an offset; defaults to config's timezone.",
    )


@dataclass(frozen=True)
class RawReject:
    """A row the reader itself refused: it could not be parsed into the declared columns."""

    line: int | None
    column: str | None
    reason: str
    original: str | None


@dataclass
class StagedInput:
    """One input (a file) read into a staging table, with what could not be read."""

    path: Path
    staging_table: str
    rows_read: int
    first_data_line: int
    rejects: list[RawReject] = field(default_factory=list)


class SourceReader(ABC):
    """Reads one source's inputs into staging tables on a DuckDB connection.

    A reader only parses: mapping to the target's names and types, checks, rejects, lineage and
    the load log are the loader's job and are the same for every source type.
    """

    def __init__(self, name: str, spec: SourceBase, root: Path) -> None:
        self.name = name
        self.spec = spec
        self.root = root

    @abstractmethod
    def inputs(self) -> list[Path]:
        """The files this source reads now; raise ConnectorError when there are none."""

    @abstractmethod
    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, staging_table: str) -> StagedInput:
        """Read `path` into `staging_table`, whose columns are the target column names."""
