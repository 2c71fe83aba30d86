"""What every backend shares: the notification itself and its proof of delivery.

Its own module so that imports flow one way: the package chooses among the
backends, and the backends know only this.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple, Protocol

from kindnudge.errors import DeliveryError

APP_NAME = "kindnudge"
# The daemon's desktop file id, sent as the `desktop-entry` hint by the daemon
# only: GNOME withdraws a recognised application's notifications when their
# sender leaves the bus, so short-lived senders (`now`, setup's test) stay
# unrecognised by keeping to APP_NAME, which names no desktop file.
DESKTOP_ID = "io.github.kindnudge.Kindnudge"


class Notification(NamedTuple):
    title: str
    body: str
    timeout: timedelta  # 0 means "until dismissed"
    app_name: str = APP_NAME
    icon: str = ""  # a file path
    urgency: str = "normal"  # or "low"
    actions: tuple[str, ...] = ()  # key, label, key, label...: sent where the server has `actions`
    replaces: int = 0  # the id of a notification this one takes the place of
    desktop_entry: str = ""  # the `desktop-entry` hint; only the daemon sends it
    transient: bool = False  # the `transient` hint: the desktop keeps no copy in its list
    body_with_actions: str = ""  # the body instead, where the server shows the actions
    words: tuple[str, str] = ()  # a discreet nudge's own title and text, for push (see PushNotifier)


class Receipt(NamedTuple):
    """Which notification a server shows: its unique bus name (a restarted server
    reuses ids) and the id it answered. Id 0 can't be acted on."""

    server: str
    id: int


class Unreachable(DeliveryError):
    """No notification service could be reached at all (no bus, none running and
    none the bus can start), so nothing was shown and another route may try.
    Any other DeliveryError means a service was reached and failed: another
    route to the same service could prove nothing, and might show it twice."""


class Sent(NamedTuple):
    """Proof of delivery: who delivered, and which backends could reach no service first."""

    backend: str
    failures: tuple[str, ...] = ()
    receipt: Receipt | None = None  # where buttons on it will be answered from, if anywhere


class Notifier(Protocol):
    name: str

    def send(self, notification: Notification) -> Receipt | None:
        """Deliver or raise DeliveryError; blocks for a few seconds at most.
        A Receipt when its server will answer buttons on it."""

    def describe(self) -> str:
        """How it would deliver right now (may raise DeliveryError)."""


_INT32_MAX = 2**31 - 1


def milliseconds(span: timedelta) -> int:
    """A timeout for the wire: D-Bus and notify-send take an int32 of milliseconds."""
    return max(0, min(int(span.total_seconds() * 1000), _INT32_MAX))
