"""macOS: `osascript`, the path that works on current systems (plyer's
NSUserNotification path is deprecated and broken there). Title and text go in
as arguments, never spliced into the script, so no quoting can break it."""

from __future__ import annotations

import subprocess
import sys

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification, Unreachable

_SCRIPT = [
    "-e",
    "on run argv",
    "-e",
    "display notification (item 2 of argv) with title (item 1 of argv)",
    "-e",
    "end run",
]


class OsascriptNotifier:
    name = "osascript"

    def send(self, notification: Notification) -> None:
        _only_on_macos()
        try:
            result = subprocess.run(
                ["osascript", *_SCRIPT, notification.title, notification.body],
                capture_output=True,
                text=True,
                timeout=10,
            )
        except FileNotFoundError:
            raise Unreachable("osascript was not found; it ships with macOS") from None
        except subprocess.TimeoutExpired:
            raise DeliveryError("osascript did not finish within 10s") from None
        except (OSError, ValueError) as exc:  # e.g. not allowed to run, or a NUL in the text
            raise DeliveryError(f"osascript could not be run: {exc}") from None
        if result.returncode != 0:
            raise DeliveryError(f"osascript failed: {result.stderr.strip() or result.returncode}")

    def describe(self) -> str:
        _only_on_macos()
        return "osascript: macOS's own display notification"


def _only_on_macos() -> None:
    if sys.platform != "darwin":
        raise DeliveryError("the osascript backend works only on macOS; set notification.backend to auto")
