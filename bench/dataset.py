"""Benchmark data: the demo generator's exports at a given size, with 1 % corrupted survey rows.

The survey export is split into the file a user had (`survey_base.csv`) and one day of new
responses (`survey_new_day.csv`), so the same files serve the full refresh (both) and the
incremental one (base first, then the new day). Everything lives in a cache folder outside the
repository and is generated once per size.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from demo.generate import SURVEY_FILE, generate

REPO = Path(__file__).resolve().parent.parent
CORRUPT_SHARE = 0.01
SEED = 7
BASE_FILE = "survey_base.csv"
NEW_DAY_FILE = "survey_new_day.csv"
SURVEY_GLOB = "survey_*.csv"
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$")


def parse_size(text: str) -> int:
    """'3k' -> 3000, '1m' -> 1000000, '250000' -> 250000."""
    match = _SIZE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"size {text!r} is not a number with an optional k or m, e.g. 10k, 1m")
    number, unit = match.groups()
    return int(float(number) * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def default_cache() -> Path:
    return Path(os.environ.get("CXKPI_BENCH_CACHE", Path.home() / ".cache" / "cxkpi-bench"))


@dataclass(frozen=True)
class Dataset:
    """The exports of one size, and what a full and an incremental refresh read."""

    rows: int
    folder: Path

    @property
    def label(self) -> str:
        return size_label(self.rows)

    @property
    def survey_files(self) -> list[Path]:
        return [self.folder / BASE_FILE, self.folder / NEW_DAY_FILE]

    @property
    def cases(self) -> Path:
        return self.folder / "cases.sqlite"

    @property
    def pulse(self) -> Path:
        return self.folder / "employee_pulse.csv"

    @property
    def reviews(self) -> Path:
        return self.folder / "reviews.json"

    def input_bytes(self) -> int:
        return sum(p.stat().st_size for p in [*self.survey_files, self.cases, self.pulse, self.reviews])

    def csv_bytes(self) -> int:
        return sum(p.stat().st_size for p in [*self.survey_files, self.pulse])


def prepare(rows: int, cache: Path) -> Dataset:
    """Generate (once) the exports for `rows` survey responses and split off the last day."""
    folder = cache / f"{size_label(rows)}-seed{SEED}-corrupt{CORRUPT_SHARE}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, responses=rows, seed=SEED, corrupt_share=CORRUPT_SHARE)
        split_last_day(folder / SURVEY_FILE, folder / BASE_FILE, folder / NEW_DAY_FILE)
        (folder / SURVEY_FILE).unlink()
        done.touch()
    return Dataset(rows, folder)


def split_last_day(survey: Path, base: Path, new_day: Path) -> None:
    """Move the responses submitted on the export's last day into a file of their own.

    The export is in time order, so the last day is its tail: find where that day's first record
    starts (a line outside a quoted, multi-line comment) and copy the bytes on either side as
    they are. The time stamp is a record's second field, after an id without commas.
    """
    day_starts_at, day, offset, in_quotes = 0, b"", 0, False
    with survey.open("rb") as source:
        header = source.readline()
        offset = len(header)
        for line in source:
            if not in_quotes:
                stamp = line.split(b",", 2)[1][:10]
                if stamp != day:
                    day, day_starts_at = stamp, offset
            in_quotes ^= line.count(b'"') % 2 == 1
            offset += len(line)
    with survey.open("rb") as source, base.open("wb") as old, new_day.open("wb") as new:
        remaining = day_starts_at
        while remaining:
            chunk = source.read(min(remaining, 1 << 20))
            old.write(chunk)
            remaining -= len(chunk)
        new.write(header)
        shutil.copyfileobj(source, new, 1 << 20)


def write_config(
    data: Dataset,
    work: Path,
    *,
    survey_files: list[Path],
    wins: bool = True,
    memory_limit: str | None = None,
) -> Path:
    """A config.yaml like the bundled one, reading `data`'s files, with its database in `work`."""
    config: dict[str, Any] = yaml.safe_load((REPO / "config.yaml").read_text())
    work.mkdir(parents=True, exist_ok=True)
    surveys = work / "survey"
    shutil.rmtree(surveys, ignore_errors=True)
    surveys.mkdir()
    for file in survey_files:
        (surveys / file.name).symlink_to(file)
    config["database"] = str(work / "cx.duckdb")
    config["kpi_definitions"] = str(REPO / "kpis" / "definitions")
    config["annotations"] = str(REPO / config["annotations"])
    sources = config["sources"]
    sources["survey_responses"]["path"] = str(surveys / SURVEY_GLOB)
    sources["cases"]["path"] = str(data.cases)
    sources["employee_pulse"]["path"] = str(data.pulse)
    sources["reviews"]["path"] = str(data.reviews)
    if not wins:  # the KPIs alone, as the other sides compute them: no comments wall, no wins
        config.pop("voice", None)
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def add_new_day(data: Dataset, work: Path) -> None:
    """Drop the new day's export next to the base one, as the survey tool would."""
    (work / "survey" / NEW_DAY_FILE).symlink_to(data.folder / NEW_DAY_FILE)
