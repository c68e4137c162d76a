"""What every source type shares: its spec fields and the contract of its reader."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import Field, model_validator

from connectors.columns import ColumnSpec
from core.spec import Identifier, Spec

DEFAULT_KEY_ENV = "CXKPI_PSEUDONYM_KEY"


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
    primary_key: tuple[Identifier, ...] | None = Field(
        default=None,
        description="Target columns that identify a row: a newer row with the same key replaces the older one.",
    )
    pseudonymise: tuple[Identifier, ...] = Field(
        default=(),
        description="Target columns replaced by a keyed hash (HMAC-SHA256) before they reach the database.",
    )
    pseudonymise_key_env: str = Field(
        default=DEFAULT_KEY_ENV, description="Environment variable holding the pseudonymisation key."
    )

    @model_validator(mode="after")
    def _named_columns_exist(self) -> SourceBase:
        for key, names in (("primary_key", self.primary_key or ()), ("pseudonymise", self.pseudonymise)):
            unknown = [name for name in names if name not in self.columns]
            if unknown:
                raise ValueError(f"{key} names {', '.join(unknown)}, not among this source's columns")
        not_text = [name for name in self.pseudonymise if self.columns[name].type != "varchar"]
        if not_text:
            raise ValueError(f"pseudonymise applies to varchar columns only, not {', '.join(not_text)}")
        return self


@dataclass(frozen=True)
class SourceInput:
    """One thing a source reads: a file, or a table or query of a database.

    `label` is what the meta tables call its "file": a path relative to config.yaml, or a
    description such as `postgres:public.cases`.
    """

    label: str
    path: Path | None = None


@dataclass(frozen=True)
class RawReject:
    """A row the reader itself refused: it could not be parsed into the declared columns."""

    line: int | None
    column: str | None
    reason: str
    original: str | None


@dataclass
class StagedInput:
    """One input read into a staging table, with what could not be read.

    The staging table's columns are the target column names, in any type the loader can convert
    from. When it has a `_line` column, that is each row's line (or record number); otherwise rows
    are numbered in insertion order from `first_data_line`, skipping the lines in `rejects`.
    """

    staging_table: str
    rows_read: int
    first_data_line: int
    rejects: list[RawReject] = field(default_factory=list)
    has_line_column: bool = False


class SourceReader(ABC):
    """Reads one source's inputs into staging tables on a DuckDB connection.

    A reader only parses: conversion to the target types, checks, rejects, lineage and the load
    log are the loader's job and are the same for every source type.
    """

    incremental: bool = False
    """True when each load brings only what is new, so earlier rows of an input are kept."""

    def __init__(self, name: str, spec: SourceBase, root: Path) -> None:
        self.name = name
        self.spec = spec
        self.root = root

    @abstractmethod
    def inputs(self) -> list[SourceInput]:
        """What this source reads now; raise ConnectorError when there is nothing to read."""

    def checksum(self, con: duckdb.DuckDBPyConnection, item: SourceInput, previous: str | None) -> str:
        """A fingerprint of `item`: equal to `previous` when there is nothing new to load."""
        from connectors.files import file_checksum

        if item.path is None:
            raise NotImplementedError(f"{type(self).__name__} must define checksum() for {item.label}")
        return file_checksum(item.path, previous)

    @abstractmethod
    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        """Read `item` into `staging_table`, whose columns are the target column names."""
