"""The bookkeeping tables every load writes: what was loaded, from where, and what was refused.

They live in the `meta` schema of the same DuckDB file, so an analyst can always answer
"where did this number come from?" and "what did we not load, and why?".
"""

from __future__ import annotations

import duckdb

from core.ddl import create_documented_table

SCHEMA = "meta"

TABLES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "refreshes": (
        "One row per refresh: a run of `cli.py refresh` or the dashboard's first build.",
        {
            "refresh_id": ("VARCHAR", "Sortable id of the refresh (UTC start time)."),
            "started_at": ("TIMESTAMPTZ", "When the refresh started."),
            "finished_at": ("TIMESTAMPTZ", "When it finished and the file was swapped in."),
            "status": ("VARCHAR", "ok, or partial when a source or KPI failed."),
            "sources_failed": ("VARCHAR[]", "Sources whose load failed; their last good rows stay."),
            "kpis_failed": ("VARCHAR[]", "KPIs that could not be computed."),
        },
    ),
    "loads": (
        "One row per source per refresh: files read, their checksums and the row accounting.",
        {
            "load_id": ("VARCHAR", "Id of this load: <refresh_id>:<source>."),
            "refresh_id": ("VARCHAR", "The refresh this load was part of."),
            "source": ("VARCHAR", "Source name from config.yaml."),
            "source_type": ("VARCHAR", "csv, parquet, json, excel, sqlite, postgres..."),
            "target_table": ("VARCHAR", "Table in schema raw the rows went to."),
            "files": (
                "STRUCT(file VARCHAR, checksum VARCHAR, action VARCHAR, rows_read BIGINT, "
                "rows_loaded BIGINT, rows_rejected BIGINT)[]",
                "Each input: path, checksum, loaded/unchanged/replaced/updated, and its counts.",
            ),
            "rows_read": ("BIGINT", "Data rows read from the inputs that changed."),
            "rows_loaded": ("BIGINT", "Rows written to the target table."),
            "rows_rejected": ("BIGINT", "Rows written to meta.rejects instead. read = loaded + rejected."),
            "started_at": ("TIMESTAMPTZ", "Start of this load."),
            "finished_at": ("TIMESTAMPTZ", "End of this load."),
            "status": ("VARCHAR", "ok, unchanged (nothing new) or failed."),
            "error": ("VARCHAR", "Why it failed, and what to do; NULL when it did not."),
        },
    ),
    "rejects": (
        "Every row a load refused, with where it was and why: nothing is dropped silently.",
        {
            "load_id": ("VARCHAR", "The load that refused it."),
            "source": ("VARCHAR", "Source name from config.yaml."),
            "target_table": ("VARCHAR", "Table the row was meant for."),
            "file": ("VARCHAR", "Input file, relative to config.yaml."),
            "line": ("BIGINT", "Row number in the file as a spreadsheet shows it (header = 1)."),
            "column_name": ("VARCHAR", "The offending column, when one is to blame."),
            "reason": ("VARCHAR", "Why the row was refused."),
            "original": ("VARCHAR", "The row as read: its text, or its values as JSON."),
        },
    ),
    "files": (
        "The inputs currently in the database, so that loading the same file again changes nothing.",
        {
            "source": ("VARCHAR", "Source name from config.yaml."),
            "file": ("VARCHAR", "Input file, relative to config.yaml."),
            "checksum": (
                "VARCHAR",
                "What was loaded: the file's BLAKE2b checksum with its stat as a hint (~size.mtime.ctime.inode; "
                "a file at rest with the same stat is not read again), or, for a database, a hash of the rows "
                "read or the cursor's high-water mark; then |settings: and a hash of the source's settings.",
            ),
            "load_id": ("VARCHAR", "The load that brought it in."),
            "rows_loaded": ("BIGINT", "Rows of this file in the target table."),
        },
    ),
}


def ensure_meta_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `meta` schema and its tables (with comments) if they do not exist."""
    for table, (comment, columns) in TABLES.items():
        create_documented_table(con, SCHEMA, table, comment, columns)
