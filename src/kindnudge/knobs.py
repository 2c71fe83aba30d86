"""Waits that the tests shorten through the environment (README, "Development").

They are not settings a person makes, so a value that is not a finite number,
or is negative, is ignored (the default stands) rather than stopping the
program. They only shorten: a longer wait would break a promise made with the
default (a held nudge let go once hold_for has passed, `now` answered within
seconds).
"""

from __future__ import annotations

import math
import os


def seconds(variable: str, default: float, low: float) -> float:
    """`variable`'s value in seconds, from `low` up to `default`; `default` when unset or unreadable."""
    try:
        value = float(os.environ.get(variable, default))
    except ValueError:
        return default
    return min(max(value, low), default) if math.isfinite(value) and value >= 0 else default
