"""Wall time, CPU time (user + sys, every thread, and children) and peak memory of a block."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Measurement:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0  # of the whole process, setup included: each side runs in a fresh one

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@contextmanager
def measured() -> Iterator[Measurement]:
    result = Measurement(rss_before_mb=current_rss_mb())
    cpu, wall = _cpu(), time.perf_counter()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - wall
        result.cpu_s = _cpu() - cpu
        peak = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        result.rss_peak_mb = peak / 1024  # kilobytes on Linux


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
