"""What to do with the slots that came due since we last looked. Pure.

The promise: never a burst, never a duplicate, never a silent loss. Of all
the slots due, at most one is shown: the latest, if it is recent enough
(on time, or within `catch_up` after sleep or downtime), not paused, not
landing inside quiet hours, and, if late, not just before the next nudge.
Every other one is recorded as skipped, with the reason.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import NamedTuple

from kindnudge.holding import MAKES_WAY_WITHIN, spoken
from kindnudge.planner import Slot, in_quiet_hours

ON_TIME = timedelta(seconds=60)  # later than this is a catch-up, not a firing


class Decision(NamedTuple):
    show: Slot | None = None
    skip: tuple[tuple[Slot, str], ...] = ()


def decide(
    due: list[Slot],
    now: datetime,
    catch_up: timedelta,
    quiet: tuple[time, time] | None,
    paused_until: datetime | None,
    next_due: datetime | None = None,
) -> Decision:
    if not due:
        return Decision()
    *older, latest = due
    late = now - latest.at
    local_now = now.astimezone(latest.at.tzinfo).time()
    if paused_until and latest.at < paused_until:
        latest_reason = "paused"
    elif late > max(catch_up, ON_TIME):
        latest_reason = f"missed by {_rounded(late)}, more than catch_up allows"
    elif late > ON_TIME and in_quiet_hours(local_now, quiet):
        latest_reason = "missed, and it is quiet hours now"
    elif late > ON_TIME and next_due and next_due - now <= MAKES_WAY_WITHIN:
        latest_reason = f"missed; the next nudge, due {spoken(next_due - now)} later, comes instead"
    else:
        latest_reason = None
    caught_up = f"missed; only the latest missed one ({latest.at:%H:%M}) is shown"
    skip = [
        (
            slot,
            "paused"
            if paused_until and slot.at < paused_until
            else caught_up
            if not latest_reason
            else "missed",
        )
        for slot in older
    ]
    if latest_reason:
        return Decision(skip=(*skip, (latest, latest_reason)))
    return Decision(show=latest, skip=tuple(skip))


def _rounded(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
