"""What to do with the slots that came due since we last looked. Pure.

The promise: never a burst, never a duplicate, never a silent loss. Of all
the slots due, at most one is shown: the latest, if it is recent enough
(on time, or within `catch_up` after sleep or downtime), not paused, and
not landing inside quiet hours. Every other one is recorded as skipped, with
the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from kindnudge.planner import Slot, in_quiet_hours

ON_TIME = timedelta(seconds=60)  # later than this is a catch-up, not a firing


@dataclass(frozen=True)
class Decision:
    show: Slot | None = None
    skip: list[tuple[Slot, str]] = field(default_factory=list)


def decide(
    due: list[Slot],
    now: datetime,
    catch_up: timedelta,
    quiet: tuple[time, time] | None,
    paused_until: datetime | None,
) -> Decision:
    if not due:
        return Decision()
    *older, latest = due
    skip = [(slot, _older_reason(slot, latest, paused_until)) for slot in older]
    late = now - latest.at
    local_now = now.astimezone(latest.at.tzinfo).time()
    if paused_until and latest.at < paused_until:
        return Decision(skip=[*skip, (latest, "paused")])
    if late > max(catch_up, ON_TIME):
        reason = f"missed by {_rounded(late)}, more than catch_up allows"
        return Decision(skip=[*skip, (latest, reason)])
    if late > ON_TIME and in_quiet_hours(local_now, quiet):
        return Decision(skip=[*skip, (latest, "missed, and it is quiet hours now")])
    return Decision(show=latest, skip=skip)


def _older_reason(slot: Slot, latest: Slot, paused_until: datetime | None) -> str:
    if paused_until and slot.at < paused_until:
        return "paused"
    return f"missed; only the latest ({latest.at:%H:%M}) is caught up"


def _rounded(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
