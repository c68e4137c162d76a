"""Create tables that document themselves: a COMMENT on the table and on every column.

Analysts open the DuckDB file with their own tools; `duckdb_tables()` and `duckdb_columns()` then
tell them what each table and column means without opening this repository.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
from sqlglot import exp

Columns = Mapping[str, tuple[str, str]]  # name -> (DuckDB type, comment)


def create_documented_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, comment: str, columns: Columns
) -> None:
    """CREATE TABLE IF NOT EXISTS schema.table, then comment on it and on each of its columns."""
    name = exp.table_(exp.to_identifier(table), db=exp.to_identifier(schema))
    definition = exp.Schema(
        this=name,
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(column), kind=exp.DataType.build(sql_type, dialect="duckdb"))
            for column, (sql_type, _) in columns.items()
        ],
    )
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {exp.to_identifier(schema).sql('duckdb')}")
    con.execute(exp.Create(this=definition, kind="TABLE", exists=True).sql(dialect="duckdb"))
    comment_on(con, "TABLE", f"{schema}.{table}", comment)
    for column, (_, text) in columns.items():
        comment_on(con, "COLUMN", f"{schema}.{table}.{column}", text)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether a table exists: a database built by an older version may lack a newer one."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchall()  # every row read: DuckDB 2.0 refuses the next statement while a result is unfinished
    return bool(found[0][0])


def column_names(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The table's columns in order (none when there is no such table)."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [str(name) for (name,) in rows]


def has_other_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: Columns) -> bool:
    """Whether the table exists with other columns than `columns` (written by an older version)."""
    existing = column_names(con, schema, table)
    return bool(existing) and existing != list(columns)


def comment_on(con: duckdb.DuckDBPyConnection, kind: str, dotted_name: str, text: str) -> None:
    """COMMENT ON <kind> <name> IS '<text>', with the text quoted as a literal."""
    name = ".".join(exp.to_identifier(part).sql("duckdb") for part in dotted_name.split("."))
    con.execute(f"COMMENT ON {kind} {name} IS {exp.Literal.string(text).sql('duckdb')}")
