"""Where a value stands against its target. A business rule, so it lives here, not in the UI."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ON_TARGET = "on target"
AT_RISK = "at risk"
OFF_TARGET = "off target"
NO_TARGET = "no target"
NO_DATA = "no data"
STATUSES = (ON_TARGET, AT_RISK, OFF_TARGET, NO_TARGET, NO_DATA)


def status(
    value: npt.NDArray[np.float64],
    target: npt.NDArray[np.float64],
    *,
    higher_is_better: bool,
    amber_within: float | npt.NDArray[np.float64],
) -> npt.NDArray[np.str_]:
    """'on target' when the target is met, 'at risk' when within `amber_within` of it, else 'off target'."""
    with np.errstate(invalid="ignore"):
        # A value equal to its target up to floating-point noise meets it.
        margin = (value - target if higher_is_better else target - value) + 1e-9
        return np.select(
            [np.isnan(value), np.isnan(target), margin >= 0, margin >= -amber_within],
            [NO_DATA, NO_TARGET, ON_TARGET, AT_RISK],
            default=OFF_TARGET,
        )


def periods_off_target(statuses: list[str]) -> int:
    """How many of the latest periods in a row were off target (0 when the latest was not)."""
    count = 0
    for value in reversed(statuses):
        if value == NO_DATA:
            continue
        if value != OFF_TARGET:
            break
        count += 1
    return count
