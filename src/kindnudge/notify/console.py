"""Prints nudges to standard output, for machines without a desktop."""

from __future__ import annotations

import sys

from kindnudge.notify import Notification


class ConsoleNotifier:
    name = "console"

    def send(self, notification: Notification) -> None:
        print(f"{notification.title}: {notification.body}", file=sys.stdout, flush=True)

    def describe(self) -> str:
        return "console: prints each nudge to standard output"
