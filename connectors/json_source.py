"""JSON exports: an array of objects, or newline-delimited JSON (one object per line).

Review platforms and web APIs write these. Each object is a row, its keys the columns; the
"line" of a reject is the record number (the first object is 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
from pydantic import Field

from connectors.base import SourceInput, StagedInput
from connectors.files import FileSourceBase, matching_files
from connectors.staging import StagingTableReader, scan_columns, stage_scan, table_function
from core.errors import ConnectorError, Problem


class JsonSourceSpec(FileSourceBase):
    """A JSON or NDJSON file, or a glob of them."""

    type: Literal["json"]
    format: Literal["auto", "array", "newline_delimited"] = Field(
        default="auto", description="array ([{...}, ...]) or newline_delimited (one object per line); auto detects."
    )


class JsonReader(StagingTableReader):
    spec: JsonSourceSpec

    def inputs(self) -> list[SourceInput]:
        return matching_files(self.name, self.spec.path, self.root)

    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        # A key with mixed types (rating 4 and "five") is read as text; the loader then rejects "five".
        scan = table_function("read_json", str(item.path), {"format": self.spec.format, "records": True})
        try:
            available = scan_columns(con, scan)
            return stage_scan(
                con, self.name, self.spec, where=Path(item.label).name, scan=scan, available=available,
                staging_table=staging_table,
            )  # fmt: skip
        except duckdb.Error as err:
            raise ConnectorError(
                Problem(
                    f"could not read {Path(item.label).name} as JSON: {str(err).splitlines()[0]}",
                    subject=self.name,
                    fix="check the file is valid JSON; set 'format:' to array or newline_delimited",
                )
            ) from err
