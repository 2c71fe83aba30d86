"""What the desktop says about the moment: is now a bad time for a private
line about an ex to pop up? (Do Not Disturb, a fullscreen window or a
presentation, a locked screen, the person away.)

Each source is optional and found at run time; a source this desktop does
not have, or one that fails, never holds a nudge. Sources are read only when
asked (a nudge is due, or once a minute while one is held), never in a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

RESPECTS = ("do-not-disturb", "fullscreen", "locked", "away")


class Busy(NamedTuple):
    """A bad moment: which `respect` source says so, and why, as `status` says it."""

    source: str  # one of RESPECTS
    why: str  # e.g. "Do Not Disturb is on"


class Offer(NamedTuple):
    """One way this desktop can tell a bad moment, for `kindnudge check`."""

    source: str  # one of RESPECTS
    how: str  # e.g. "dunst's paused state"
    busy: str | None  # why it is a bad moment right now, or None


class Unavailable(Exception):
    """This desktop does not have the source (no such service, tool or display)."""


class Probe(Protocol):
    """One source of one kind. `read` answers why now is a bad moment, or None;
    it raises Unavailable where this desktop has no such source."""

    source: str
    how: str
    signals: tuple[str, ...]  # D-Bus match rules whose signals may mean the moment cleared

    def read(self, bus: Callable[[Any], tuple]) -> str | None: ...
