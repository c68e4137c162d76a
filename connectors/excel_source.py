"""Excel workbooks (.xlsx): a named sheet, or the first one; the first row is the header.

Read with openpyxl (DuckDB's excel extension cannot be installed offline) into Arrow, one typed
column per header cell. A column whose cells are of mixed kinds (numbers and "n/a") is kept as
text, so the loader can refuse the odd cell with its row number instead of failing the load.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import Field

from connectors import sql
from connectors.base import SourceInput, StagedInput
from connectors.files import FileSourceBase, matching_files
from connectors.staging import StagingTableReader, stage_scan
from core.errors import ConnectorError, Problem

ARROW_VIEW = "_cx_excel"
LINE = "_cx_row"


class ExcelSourceSpec(FileSourceBase):
    """An .xlsx workbook, or a glob of them."""

    type: Literal["excel"]
    sheet: str | None = Field(default=None, description="Sheet to read; the first sheet when unset.")


class ExcelReader(StagingTableReader):
    spec: ExcelSourceSpec

    def inputs(self) -> list[SourceInput]:
        return matching_files(self.name, self.spec.path, self.root)

    def stage(self, con: duckdb.DuckDBPyConnection, item: SourceInput, staging_table: str) -> StagedInput:
        assert item.path is not None
        header, rows = self._rows(item.path)
        table = _arrow(header, rows)
        con.register(ARROW_VIEW, table)
        try:
            return stage_scan(
                con, self.name, self.spec, where=f"{Path(item.label).name} sheet {self._sheet_label()}",
                scan=sql.table(ARROW_VIEW), available=header, staging_table=staging_table, line_column=LINE,
            )  # fmt: skip
        finally:
            con.unregister(ARROW_VIEW)

    def _sheet_label(self) -> str:
        return repr(self.spec.sheet) if self.spec.sheet else "1"

    def _rows(self, path: Path) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]]]:
        try:
            from openpyxl import load_workbook
        except ImportError as err:
            raise ConnectorError(
                Problem(
                    "reading Excel needs openpyxl, which is not installed",
                    subject=self.name,
                    fix="pip install openpyxl==3.1.5",
                )
            ) from err
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
            raise ConnectorError(
                Problem(
                    f"could not open {path.name} as an Excel workbook: {err}",
                    subject=self.name,
                    fix="save it as .xlsx (the old .xls format is not supported)",
                )
            ) from err
        try:
            if self.spec.sheet is not None and self.spec.sheet not in book.sheetnames:
                raise ConnectorError(
                    Problem(
                        f"{path.name} has no sheet {self.spec.sheet!r}",
                        subject=self.name,
                        fix=f"set 'sheet:' to one of {', '.join(book.sheetnames)}",
                    )
                )
            sheet = book[self.spec.sheet] if self.spec.sheet else book.worksheets[0]
            cells = sheet.iter_rows(values_only=True)
            first = next(cells, None)
            if first is None:
                raise ConnectorError(
                    Problem(f"{path.name}: the sheet is empty", subject=self.name, fix="export the sheet again")
                )
            header = [str(value).strip() if value is not None else f"column{i}" for i, value in enumerate(first, 1)]
            # Spreadsheet row numbers: the header is row 1; blank rows are not data but keep their number.
            rows = [(number, row) for number, row in enumerate(cells, start=2) if any(v is not None for v in row)]
        finally:
            book.close()
        return header, rows


def _arrow(header: list[str], rows: list[tuple[int, tuple[Any, ...]]]) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for index, name in enumerate(header):
        columns[name] = _column([row[index] if index < len(row) else None for _, row in rows])
    columns[LINE] = pa.array([number for number, _ in rows], type=pa.int64())
    return pa.table(columns)


def _column(values: list[Any]) -> pa.Array:
    """One typed Arrow column when every cell is of one kind, else the cells as text."""
    kinds = {_kind(v) for v in values if v is not None and v != ""}
    if kinds == {"int"}:
        return pa.array([v if v != "" else None for v in values], type=pa.int64())
    if kinds <= {"int", "float"} and kinds:
        return pa.array([float(v) if v not in (None, "") else None for v in values], type=pa.float64())
    if kinds == {"bool"}:
        return pa.array([v if v != "" else None for v in values], type=pa.bool_())
    if kinds == {"datetime"}:
        return pa.array([v if v != "" else None for v in values], type=pa.timestamp("us"))
    return pa.array([_text(v) for v in values], type=pa.string())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, datetime):
        return "datetime"
    return "text"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
