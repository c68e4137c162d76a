"""A read-only query on a second connection, run while the loading connection writes.

The refused rows of a CSV come from a scan DuckDB runs in one thread (so that rows are numbered
in file order); run after the INSERT it leaves the other cores idle for seconds. Run alongside,
it takes one core while the INSERT takes the rest. The second connection is a cursor on the same
database: it sees none of the load's uncommitted work or TEMP objects, so the query may read files
only, and it gets the load's session settings (time zone, pseudonymisation macro) first.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from connectors import pseudonymise
from connectors.sql import literal, to_sql

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class LoadSession:
    """What a connection needs to evaluate a source's conversions as the loading connection does."""

    timezone: str
    pseudonym_key: bytes | None = None

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"SET TimeZone = {to_sql(literal(self.timezone))}")
        if self.pseudonym_key is not None:
            pseudonymise.create_macro(con, self.pseudonym_key)


@contextmanager
def reading_alongside(con: duckdb.DuckDBPyConnection, session: LoadSession, query: str) -> Iterator[Future[Rows]]:
    """Start `query` on a cursor of `con`; the block runs meanwhile; its rows are ready after the block.

    When the block fails, the query is interrupted rather than waited for.
    """
    cursor = con.cursor()
    try:
        session.apply(cursor)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx-alongside") as pool:
            pending = pool.submit(lambda: cursor.execute(query).fetchall())
            try:
                yield pending
            except BaseException:
                cursor.interrupt()
                raise
    finally:
        cursor.close()
