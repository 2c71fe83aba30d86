"""Waits that the tests shorten through the environment (README, "Development").

They are not settings a person makes, so a value that is not a finite number
is ignored (the default stands) and any other is kept within sane bounds,
rather than stopping the program.
"""

from __future__ import annotations

import math
import os


def seconds(variable: str, default: float, low: float, high: float) -> float:
    """`variable`'s value in seconds, within [low, high]; `default` when unset or unreadable."""
    try:
        value = float(os.environ.get(variable, default))
    except ValueError:
        return default
    return min(max(value, low), high) if math.isfinite(value) else default
