"""Parquet exports (data warehouses, Spark jobs, some ticketing systems), read by DuckDB itself."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb

from connectors.base import SourceInput, StagedInput
from connectors.files import FileSourceBase, matching_files
from connectors.staging import StagingTableReader, scan_columns, stage_scan, table_function
from core.errors import ConnectorError, Problem


class ParquetSourceSpec(FileSourceBase):
    """A Parquet file, or a glob of them."""

    type: Literal["parquet"]


class ParquetReader(StagingTableReader):
    spec: ParquetSourceSpec

    def inputs(self) -> list[SourceInput]:
        return matching_files(self.name, self.spec.path, self.root)

    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        scan = table_function("read_parquet", str(item.path))
        try:
            available = scan_columns(con, scan)
            return stage_scan(
                con, self.name, self.spec, where=Path(item.label).name, scan=scan, available=available,
                staging_table=staging_table,
            )  # fmt: skip
        except duckdb.Error as err:
            raise ConnectorError(
                Problem(
                    f"could not read {Path(item.label).name} as Parquet: {str(err).splitlines()[0]}",
                    subject=self.name,
                    fix="check that the file is a complete Parquet export (not CSV renamed .parquet)",
                )
            ) from err
