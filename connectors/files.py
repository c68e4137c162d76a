"""What file-based sources share: a path or glob relative to config.yaml, and file checksums."""

from __future__ import annotations

import difflib
import glob
import re
import time
from collections.abc import Iterable
from pathlib import Path

import xxhash
from pydantic import Field

from connectors.base import SourceBase, SourceInput
from core.errors import ConnectorError, Problem

HINT = "~"
SETTLED_NS = 2_000_000_000
CHUNK_BYTES = 1 << 20
_HINTS = re.compile(r"~[0-9.]+")


class FileSourceBase(SourceBase):
    """A source read from one file, or from every file matching a glob."""

    path: str = Field(description="A file, or a glob such as exports/*.csv, relative to config.yaml.")


def matching_files(name: str, pattern: str, root: Path) -> list[SourceInput]:
    """The files `pattern` names now, sorted; one clear error when there are none."""
    if not is_glob(pattern):
        path = root / pattern
        if not path.is_file():
            raise ConnectorError(
                Problem(
                    f"file not found: {path}",
                    subject=name,
                    fix="check 'path:' in config.yaml (it is relative to config.yaml)",
                )
            )
        return [SourceInput(relative(path, root), path)]
    matches = sorted(Path(p) for p in glob.glob(str(root / pattern), recursive=True) if Path(p).is_file())
    if not matches:
        raise ConnectorError(
            Problem(
                f"no file matches {pattern!r} in {root}",
                subject=name,
                fix="check 'path:' in config.yaml, or export the files first",
            )
        )
    return [SourceInput(relative(path, root), path) for path in matches]


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def file_checksum(path: Path, previous: str | None = None) -> str:
    """The file's digest (`content_digest`), followed by its stat (`~size.mtime.ctime.inode`) as a hint.

    While the stat is the one `previous` recorded, the file is not read again: any write to a
    file changes its ctime, which no tool can set back. A file modified in the last two seconds
    gets no hint (file systems with coarse times could hide a second write in the same tick),
    so it is read again next time.
    """
    stat = path.stat()
    hint = f"{HINT}{stat.st_size}.{stat.st_mtime_ns}.{stat.st_ctime_ns}.{stat.st_ino}"
    if previous is not None and previous.endswith(hint):
        return previous
    digest = content_digest(path)
    settled = time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > SETTLED_NS
    return digest + hint if settled else digest


def content_digest(path: Path) -> str:
    """XXH3-128 of the file's bytes, 32 hex digits.

    It tells whether an export changed, not whether it was tampered with: a non-cryptographic hash,
    read at 5 GB/s against blake2b's 1.2 GB/s here (0.23 s against 1.06 s for the 1.2 GB survey
    export at 10M rows). Digests stored by blake2b (before 2026-12) stay valid while the file's
    stat hint does; a file that changed is read again either way.
    """
    digest = xxhash.xxh3_128()
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    with path.open("rb") as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def same_content(checksum: str, other: str) -> bool:
    """Whether two checksums say the same content, whatever their stat hints."""
    return _HINTS.sub("", checksum) == _HINTS.sub("", other)


def missing_column(name: str, where: str, wanted: str, available: Iterable[str]) -> Problem:
    """`where` has no column `wanted`: say which it does have, and the closest match."""
    names = [str(column) for column in available]
    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(f"{where} has no column {wanted!r}", subject=name, fix=f"{hint}columns in it: {', '.join(names)}")
