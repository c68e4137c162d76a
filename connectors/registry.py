"""The source types a config.yaml can name under `type:`, and the reader for each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from connectors.base import SourceBase, SourceReader
from connectors.csv_source import CsvReader, CsvSourceSpec

# One entry per `type:`; a new source type adds its spec to this union and its reader below.
SourceSpec = Annotated[CsvSourceSpec, Field(discriminator="type")]

READERS: dict[str, type[SourceReader]] = {
    "csv": CsvReader,
}


def reader_for(name: str, spec: SourceBase, root: Path) -> SourceReader:
    """The reader for a source spec; `root` is the folder its relative paths start from."""
    kind: str = spec.type
    return READERS[kind](name, spec, root)
