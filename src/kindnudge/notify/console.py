"""Prints nudges to standard output, for machines without a desktop."""

from __future__ import annotations

import sys

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification


class ConsoleNotifier:
    name = "console"

    def send(self, notification: Notification) -> None:
        try:
            print(f"{notification.title}: {notification.body}", file=sys.stdout, flush=True)
        except (OSError, ValueError) as exc:  # closed, full, or a pipe nobody reads
            raise DeliveryError(f"cannot write to standard output: {exc}") from None

    def describe(self) -> str:
        return "console: prints each nudge to standard output"
