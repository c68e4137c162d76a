"""The sides' KPI values must agree before any timing is reported."""

from __future__ import annotations

import math
from typing import Any

from bench.sides.common import ANONYMOUS, CheckRow

REL_TOL = 1e-9


def _keyed(rows: list[CheckRow]) -> dict[tuple[Any, ...], tuple[float | None, int]]:
    return {tuple(r[:4]): (None if r[4] is None else float(r[4]), int(r[5])) for r in rows}


def differences(reference: list[CheckRow], other: list[CheckRow], *, limit: int = 5) -> list[str]:
    """What differs between our rows and another side's; empty when they agree.

    Groups we suppress for anonymity (eNPS and engagement of teams under five) are not in our rows; another
    side may have them, and nothing else extra.
    """
    ours, theirs = _keyed(reference), _keyed(other)
    problems = [f"missing {key}" for key in ours.keys() - theirs.keys()]
    problems += [f"extra {key}" for key in theirs.keys() - ours.keys() if tuple(key[:2]) not in ANONYMOUS]
    for key in sorted(ours.keys() & theirs.keys()):
        (a_value, a_n), (b_value, b_n) = ours[key], theirs[key]
        same_value = (a_value is None and b_value is None) or (
            a_value is not None
            and b_value is not None
            and math.isclose(a_value, b_value, rel_tol=REL_TOL, abs_tol=1e-9)
        )
        if a_n != b_n or not same_value:
            problems.append(f"{key}: ours {a_value} (n {a_n}), theirs {b_value} (n {b_n})")
    if not ours:
        problems.append("no rows to compare")
    return sorted(problems)[:limit] + ([f"... {len(problems) - limit} more"] if len(problems) > limit else [])
