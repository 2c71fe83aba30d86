"""Windows: plyer's tray balloon, with text fitted to its limits.

The balloon raises `string too long` past 64 (title) and 256 (text) UTF-16
units, and an emoji counts twice; so text is cut on a character boundary with
an ellipsis. The balloon runs on its own thread, so failures after hand-over
cannot be seen: `describe` says so.
"""

from __future__ import annotations

import sys

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification

LIMITS = {"title": 64, "message": 256, "app_name": 128}


def fit(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (the balloon's measure), cut kindly."""
    if _units(text) <= limit:
        return text
    out = ""
    for char in text:
        if _units(out + char) > limit - 1:
            break
        out += char
    return out.rstrip() + "\u2026"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class WindowsNotifier:
    name = "windows"

    def send(self, notification: Notification) -> None:
        _only_on_windows()
        from plyer import notification as balloon

        icon = notification.icon.removesuffix(".png") + ".ico" if notification.icon else ""
        try:
            balloon.notify(
                title=fit(notification.title, LIMITS["title"]),
                message=fit(notification.body, LIMITS["message"]),
                app_name=fit(notification.app_name, LIMITS["app_name"]),
                app_icon=icon,
                timeout=int(notification.timeout.total_seconds()) or 10,
            )
        except Exception as exc:  # plyer raises whatever its platform code raises
            raise DeliveryError(f"the Windows balloon failed: {exc!r}") from None

    def describe(self) -> str:
        _only_on_windows()
        return "windows: plyer's tray balloon (Windows cannot confirm it was shown)"


def _only_on_windows() -> None:
    """Elsewhere plyer would quietly pick this platform's own route instead,
    warning on stderr, and "delivered" would mean nothing."""
    if sys.platform != "win32":
        raise DeliveryError("the windows backend works only on Windows; set notification.backend to auto")
