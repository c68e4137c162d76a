"""The DuckDB file: read it without ever blocking, rebuild it without ever exposing half a load.

DuckDB lets one process write a file or many read it, never both. So a refresh never writes the
file readers use: it copies it to `<name>.building`, loads and computes there, checkpoints, and
atomically renames the result over the original. Readers that already had the old file keep
reading it; new connections see the new data; a crash leaves the old file untouched.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.errors import DatabaseError, Problem

logger = logging.getLogger(__name__)
READER_CATALOG = "cx"
_HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers
REBUILD_HINT = "run `python cli.py refresh` to build it from the sources"


def building_path(path: Path) -> Path:
    return path.with_name(path.name + ".building")


def _written_path(path: Path) -> Path:
    return path.with_name(path.name + ".written")


def _stat_of(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}-{stat.st_ctime_ns}"


def _remember_written(path: Path) -> None:
    """Record the stat of the file a refresh just swapped in (see `_untouched_since_written`)."""
    note = _written_path(path)
    temporary = note.with_name(note.name + ".tmp")
    temporary.write_text(_stat_of(path), encoding="utf-8")
    os.replace(temporary, note)


def _untouched_since_written(path: Path) -> bool:
    """Whether the file is the one the last refresh wrote: same inode, size and times, ctime included.

    Any write to the file (a tool, a copy over it, a truncation) changes its ctime, which cannot be
    set back; so a file that passes needs no full read to know it is not damaged since.
    """
    try:
        return _written_path(path).read_text(encoding="utf-8") == _stat_of(path)
    except (FileNotFoundError, OSError):
        return False


def data_version(path: Path) -> str:
    """Changes exactly when a refresh swaps in a new file; cheap enough to call on every rerun."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection. Open one per use: connections are not thread-safe."""
    if not path.is_file():
        raise DatabaseError(Problem(f"no database at {path}", fix=REBUILD_HINT))
    try:
        con = _attached_read_only(path)
    except duckdb.Error as err:
        raise DatabaseError(
            Problem(
                f"cannot open {path.name}: {str(err).splitlines()[0]}",
                file=path,
                fix=f"if the file is damaged, {REBUILD_HINT.replace('refresh', 'refresh --full')}",
            )
        ) from err
    try:
        yield con
    finally:
        con.close()


def _attached_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection with the file attached read-only, external access then locked off.

    `duckdb.connect(path)` would reuse a database instance that any other connection in this process
    still holds open, so after a refresh swapped the file a new "connection" kept reading the old
    file for as long as one reader somewhere stayed open. A private instance always opens the file
    that is at `path` now. With external access and the configuration locked, SQL on this connection
    can read and write no other file.
    """
    con = duckdb.connect(":memory:")
    try:
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"ATTACH {literal} AS {READER_CATALOG} (READ_ONLY)")
        con.execute(f"USE {READER_CATALOG}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def damage(path: Path, schemas: tuple[str, ...] | None = None) -> str | None:
    """Why the file at `path` cannot be read (a damaged or foreign file), or None when it reads.

    Reads every table of `schemas` (default: all) once; the dashboard checks only what it reads.
    """
    if not path.is_file():
        return None
    try:
        con = _attached_read_only(path)
    except duckdb.Error as err:
        return str(err).splitlines()[0]
    try:
        # Free blocks at the end are cut off the file, so only the blocks in use give a lower bound.
        block_size, used_blocks = con.execute(
            "SELECT block_size, used_blocks FROM pragma_database_size() WHERE database_name = ?", [READER_CATALOG]
        ).fetchall()[0]
        expected = _HEADER_BYTES + int(block_size) * int(used_blocks)
        if path.stat().st_size < expected:
            return f"the file is cut short: {path.stat().st_size:,} of {expected:,} bytes"
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [READER_CATALOG]
        ).fetchall()
        for schema, table in tables:
            if schemas is not None and schema not in schemas:
                continue  # read every block once: DuckDB checks each block's checksum
            con.execute(f'SELECT sum(hash(t)) FROM "{schema}"."{table}" t').fetchall()
    except duckdb.Error as err:
        return str(err).splitlines()[0]
    finally:
        con.close()
    return None


def set_aside(path: Path) -> Path:
    """Move a damaged file out of the way (kept for inspection) so that a full rebuild can start."""
    target = path.with_name(f"{path.name}.corrupt-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    os.replace(path, target)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    return target


@contextmanager
def rebuilding(
    path: Path, *, full: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy of `path`, swapped in when the block succeeds.

    Refreshes are serialised by a lock file. With `full`, the copy starts empty instead of from
    the current file. If the block raises, the copy is discarded and `path` is left as it was.
    `memory_limit` (e.g. '1GB') caps DuckDB's memory on the connection; past it, DuckDB spills.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(path.with_name(path.name + ".lock")):
        building = building_path(path)
        _remove(building)  # left behind by a refresh that was killed
        # Reading every block of a large file takes a while: skip it for the file the last refresh wrote.
        why = None if _untouched_since_written(path) else damage(path)
        if why is not None and not full:
            raise DatabaseError(
                Problem(
                    f"{path.name} is damaged and cannot be refreshed ({why})",
                    file=path,
                    fix="rebuild it from the sources with `python cli.py refresh --full` (the damaged file is kept)",
                )
            )
        if why is not None:
            moved = set_aside(path)
            logger.warning("%s could not be read (%s); moved it aside to %s to rebuild", path.name, why, moved.name)
        if path.exists() and not full:
            shutil.copyfile(path, building)
        try:
            con = duckdb.connect(str(building), config={"memory_limit": memory_limit} if memory_limit else {})
        except duckdb.Error as err:
            _remove(building)
            raise DatabaseError(
                Problem(
                    f"cannot open {path.name} to refresh it: {str(err).splitlines()[0]}",
                    file=path,
                    fix="rebuild it from the sources with `python cli.py refresh --full`",
                )
            ) from err
        try:
            yield con
            con.execute("CHECKPOINT")
            con.close()
            os.replace(building, path)
            _sync_directory(path.parent)
            _remember_written(path)
        except BaseException:
            con.close()
            _remove(building)
            raise


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
