"""What every source type shares: its spec fields and the contract of its reader."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from pydantic import Field, model_validator
from sqlglot import exp

from connectors.columns import ColumnSpec
from core.errors import Problem
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


def _no_rejects() -> list[RawReject]:
    return []


@dataclass
class StagedInput:
    """One input ready to load: relations the loader reads, and how their rows are numbered.

    `relation` is a FROM item (a staging table, or a subquery over a table function) whose columns
    are the target column names, in any type the loader can convert from. The loader writes the
    rows that pass with one INSERT from it; a reader may collect its own rejects during that scan,
    and `reader_rejects()` returns them once the INSERT has run. Every other read (column types,
    duplicate keys, the refused rows) goes to `check_relation`: the same rows, read without
    side effects; by default `relation` itself.

    `ordinal` numbers the rows 0, 1, ... in input order, as an expression in a SELECT from either
    relation. When the relation has a `_line` column, that is each row's line (or record number);
    otherwise row k sits on the k-th line from `first_data_line` that is not among the reader's
    rejects.
    """

    relation: exp.Expr
    ordinal: exp.Expr
    first_data_line: int
    check_relation: exp.Expr | None = None
    check_on_any_connection: bool = False
    """True when `check_relation` reads only files (no TEMP table of the loading connection), so the
    loader may read it on a second connection while it writes."""
    has_line_column: bool = False
    reader_rejects: Callable[[], list[RawReject]] = _no_rejects
    read_failure: Callable[[Exception], Problem] | None = None
    """What to tell the user when scanning the relation fails (a file DuckDB cannot parse)."""

    def scan(self) -> exp.Expr:
        """The relation to write from (a fresh copy, to build a query with)."""
        return self.relation.copy()

    def check_scan(self) -> exp.Expr:
        """The relation for every other read (a fresh copy)."""
        return (self.check_relation or self.relation).copy()


class SourceReader(ABC):
    """Makes one source's inputs readable by the loader on a DuckDB connection.

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
    def staged(self, con: duckdb.DuckDBPyConnection, item: SourceInput) -> AbstractContextManager[StagedInput]:
        """`item` ready to load, with target column names; what it needs lasts until the block ends.

        A reader that copies the input into a staging table drops it on exit; one that hands the
        loader a scan of the file keeps the file (or its converted copy) until then.
        """
