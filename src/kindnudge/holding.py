"""Holding a nudge through a bad moment, and showing it once the moment clears. Pure:
time, the zone, quiet hours and what the desktop says all come in as arguments.

One life for a history row: a slot due while the desktop says it is a bad
moment is recorded `held`, and that same row later ends `delivered` (the
moment cleared within `hold_for` of its due time, outside quiet hours) or
`skipped` (`hold_for` passed, a pause began, or a later slot took its place).
Only the latest held nudge is ever shown, so nothing comes in a burst.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import NamedTuple

from kindnudge.planner import in_quiet_hours

HELD = "held: "  # a held row's reason: "held: Do Not Disturb is on"
WAITED = "shown after waiting "  # a delivered row that was held first
SUPERSEDED = "a later nudge took its place"
# A moment that clears this close before the next nudge lets the next one be
# the one shown: two within minutes of each other would feel like a burst.
MAKES_WAY_WITHIN = timedelta(minutes=5)

WAIT, SHOW, SKIP = "wait", "show", "skip"


class Verdict(NamedTuple):
    """What becomes of a held nudge now: WAIT (stays held), SHOW or SKIP, and the row's reason."""

    action: str
    reason: str = ""


def on_due(why: str, hold_for: timedelta) -> tuple[str, str]:
    """The status and reason of a slot due at a bad moment (`why`, as the desktop says it)."""
    if not hold_for:
        return "skipped", f"not held, as attention.hold_for is 0: {why}"
    return "held", f"{HELD}{why}"


def why_held(reason: str | None) -> str:
    """What a held row's reason says holds it."""
    text = reason or ""
    return text[len(HELD) :] if text.startswith(HELD) else text


def release(
    due: datetime,
    why: str,
    now: datetime,
    hold_for: timedelta,
    zone: tzinfo,
    quiet: tuple[time, time] | None,
    busy: str | None,
    paused_until: datetime | None = None,
    next_due: datetime | None = None,
) -> Verdict:
    """A held nudge, looked at again at `now`: `busy` is why it is still a bad
    moment (None: it cleared). `hold_for` counts from `due`, inclusive; quiet
    hours (in `zone`) at the moment it clears make it wait for their end, and
    a nudge due next within MAKES_WAY_WITHIN takes its place."""
    waited = now - due
    if paused_until and now < paused_until:
        return Verdict(SKIP, paused_while(why))
    local = now.astimezone(zone).time()
    if waited > hold_for:
        then = ", then it was quiet hours" if not busy and in_quiet_hours(local, quiet) else ""
        waited_out = f"let go after waiting {spoken(hold_for)}, as long as attention.hold_for allows"
        return Verdict(SKIP, f"{waited_out}: {past(why)}{then}")
    if busy:
        return Verdict(WAIT)
    if in_quiet_hours(local, quiet):
        return Verdict(WAIT)
    if next_due and next_due - now <= MAKES_WAY_WITHIN:
        soon = spoken(next_due - now)
        return Verdict(SKIP, f"{SUPERSEDED}, due {soon} after the moment cleared: {past(why)}")
    return Verdict(SHOW, f"{WAITED}{spoken(waited)}: {past(why)}")


def paused_while(why: str) -> str:
    """Why a held nudge was skipped: a pause began while it waited."""
    return f"you paused nudges while it waited: {past(why)}"


def spoken(span: timedelta) -> str:
    """A wait as a person says it: "40 s", "14 min", "1 h 5 min" (minutes rounded down)."""
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def past(why: str) -> str:
    """The desktop's reason, told afterwards: "Do Not Disturb is on" -> "... was on";
    "you have been away for 3 minutes" -> "you were away" (the minutes were then's)."""
    if " have been away" in why:
        return why.split(" have been away")[0] + " were away"
    for present, then in ((" is ", " was "), (" are ", " were ")):
        if present in why:
            return why.replace(present, then, 1)
    return why


def shown_anyway(why: str, source: str) -> str:
    """What `kindnudge now` says when a scheduled nudge would have been held. Under
    Do Not Disturb the desktop itself may keep it out of sight until it ends."""
    kept = (
        " (your desktop may keep it out of sight until Do Not Disturb ends)"
        if source == "do-not-disturb"
        else ""
    )
    return f"A scheduled nudge would wait now ({why}); showing this one because you asked{kept}."


def asked_for(asked_at: datetime, zone: tzinfo) -> str:
    """Why a held nudge was skipped: `kindnudge now` showed one meanwhile."""
    return f"you asked for one with kindnudge now at {asked_at.astimezone(zone):%H:%M}"


def wont_come(due: datetime, zone: tzinfo) -> str:
    """Said by `now` and `pause` when they end a nudge that waited for a better moment."""
    return f"The {due.astimezone(zone):%H:%M} nudge that was waiting for a better moment won't come."


def holds(respect: tuple[str, ...], push_urls: tuple[str, ...], push_mode: str) -> bool:
    """Whether nudges are ever held: only the desktop route is, so never with
    `push.mode: instead` (a phone is what helps while you are away)."""
    return bool(respect) and not (push_urls and push_mode == "instead")
