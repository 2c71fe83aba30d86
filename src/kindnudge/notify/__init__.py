"""Showing a notification, behind one small interface.

Each backend's `send` either hands the notification to the desktop or raises
DeliveryError with a reason a person can act on; none fails silently.
`choose` is the one place that maps the config's `backend` to an object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

APP_NAME = "kindnudge"


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    timeout: timedelta  # 0 means "until dismissed"
    app_name: str = APP_NAME


class Notifier(Protocol):
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver or raise DeliveryError; may block for a few seconds at most."""

    def describe(self) -> str:
        """How it would deliver right now, for `kindnudge check`."""


def choose(backend: str) -> Notifier:
    if backend == "console":
        from kindnudge.notify.console import ConsoleNotifier

        return ConsoleNotifier()
    from kindnudge.notify.plyer_backend import PlyerNotifier

    return PlyerNotifier()
