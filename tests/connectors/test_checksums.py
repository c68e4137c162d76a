"""An unchanged export is not read again to know it is unchanged; a changed one always is."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import xxhash

from connectors import files
from connectors.files import file_checksum, same_content
from core.refresh import refresh
from tests.connectors.conftest import MakeSources, rows

SURVEY = {
    "type": "csv",
    "path": "survey.csv",
    "table": "feedback",
    "columns": {"response_id": {"required": True}, "nps": {"type": "integer", "min": 0, "max": 10}},
}


@pytest.fixture(autouse=True)
def quick_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as at rest 0.1 s after their last change here (2 s in production), to keep tests quick."""
    monkeypatch.setattr(files, "SETTLED_NS", 100_000_000)


def _settled(path: Path) -> None:
    """Make the file look written a minute ago (a hint is only trusted for files at rest)."""
    past = time.time_ns() - 60_000_000_000
    os.utime(path, ns=(past, past))
    # ctime cannot be set back: wait until it is older than the settling time instead
    time.sleep(max(0.0, (files.SETTLED_NS - (time.time_ns() - path.stat().st_ctime_ns)) / 1e9) + 0.05)


def _unreadable(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    read: list[Path] = []
    real = files.content_digest

    def counting(path: Path) -> str:
        read.append(path)
        return real(path)

    monkeypatch.setattr(files, "content_digest", counting)
    return read


def test_the_digest_is_xxh3_128_of_the_whole_file_read_in_chunks(tmp_path: Path) -> None:
    export = tmp_path / "big.csv"
    content = os.urandom(2 * files.CHUNK_BYTES + 12345)
    export.write_bytes(content)
    assert files.content_digest(export) == xxhash.xxh3_128(content).hexdigest()
    export.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))  # the last byte differs
    assert files.content_digest(export) != xxhash.xxh3_128(content).hexdigest()


def test_a_file_at_rest_with_the_same_stat_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "survey.csv"
    export.write_text("response_id,nps\nR1,9\n")
    _settled(export)
    first = file_checksum(export)
    assert "~" in first
    read = _unreadable(monkeypatch)
    assert file_checksum(export, first) == first
    assert read == []


def test_any_write_is_seen_even_with_the_same_size_and_modification_time(tmp_path: Path) -> None:
    export = tmp_path / "survey.csv"
    export.write_text("response_id,nps\nR1,9\n")
    _settled(export)
    first = file_checksum(export)
    stat = export.stat()
    export.write_text("response_id,nps\nR1,0\n")  # same size
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old modification time
    second = file_checksum(export, first)
    assert not same_content(first, second)


def test_a_file_written_just_now_gets_no_hint(tmp_path: Path) -> None:
    export = tmp_path / "survey.csv"
    export.write_text("response_id,nps\nR1,9\n")
    assert "~" not in file_checksum(export)


def test_a_touched_but_unchanged_export_is_not_loaded_again(sources_config: MakeSources, tmp_path: Path) -> None:
    export = tmp_path / "survey.csv"
    export.write_text("response_id,nps\nR1,9\nR2,3\n")
    _settled(export)
    config = sources_config(survey=SURVEY)
    assert refresh(config).ok
    os.utime(export)  # touched: a new stat, the same bytes
    _settled(export)
    again = refresh(config)
    assert [f.action for load in again.loads for f in load.files] == ["unchanged"]
    stored = rows(config, "SELECT checksum FROM meta.files")[0][0]
    assert stored == again.loads[0].files[0].checksum  # the new hint is remembered
    assert rows(config, "SELECT count(*) FROM raw.feedback") == [(2,)]
