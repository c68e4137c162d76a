"""Query results as pandas DataFrames, the way DuckDB 2.0 and pandas 3 agree on.

`.df()` on DuckDB 2.0 trips a pandas 3.1 deprecation warning inside DuckDB, and Arrow output on
an `execute()` result makes an extra copy; a relation's Arrow table converts cleanly.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
    """Run `sql` with bound `params` and return the result as a DataFrame."""
    relation = con.sql(sql, params=list(params) if params is not None else None)
    result: pd.DataFrame = relation.to_arrow_table().to_pandas()
    return result


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> object:
    """The first value of the first row, or None. Drains the result, as DuckDB 2.0 requires."""
    rows = con.execute(sql, list(params) if params is not None else None).fetchall()
    return rows[0][0] if rows else None
