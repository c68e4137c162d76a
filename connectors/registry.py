"""The source types a config.yaml can name under `type:`, and the reader for each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from connectors.base import SourceBase, SourceReader
from connectors.csv_source import CsvReader, CsvSourceSpec
from connectors.excel_source import ExcelReader, ExcelSourceSpec
from connectors.json_source import JsonReader, JsonSourceSpec
from connectors.parquet_source import ParquetReader, ParquetSourceSpec
from connectors.postgres_source import PostgresReader, PostgresSourceSpec
from connectors.sqlite_source import SqliteReader, SqliteSourceSpec

# One entry per `type:`; a new source type adds its spec to this union and its reader below.
# Drivers (openpyxl, ADBC) are imported only when a source of that type is read, so a missing
# driver is a message naming the package to install, not an import error at start-up.
SourceSpec = Annotated[
    CsvSourceSpec | ParquetSourceSpec | JsonSourceSpec | ExcelSourceSpec | SqliteSourceSpec | PostgresSourceSpec,
    Field(discriminator="type"),
]

READERS: dict[str, type[SourceReader]] = {
    "csv": CsvReader,
    "parquet": ParquetReader,
    "json": JsonReader,
    "excel": ExcelReader,
    "sqlite": SqliteReader,
    "postgres": PostgresReader,
}


def reader_for(name: str, spec: SourceBase, root: Path) -> SourceReader:
    """The reader for a source spec; `root` is the folder its relative paths start from."""
    kind: str = spec.type
    return READERS[kind](name, spec, root)
