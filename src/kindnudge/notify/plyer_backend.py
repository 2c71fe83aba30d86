"""Delivery through plyer, made honest.

plyer hides failures (see the README's "Delivery" notes): on Linux it picks
notify-send, ignores its exit status and timeout, trips over a title or
text that starts with "-", and lets notify-send read backslash escapes in the
text. So this wrapper first asks the session bus for a notification server
(and whether it reads markup), passes the timeout and urgency through, guards
leading dashes and backslashes, runs notify-send itself (bounded, its exit
status checked, its errors kept off stderr), gives plyer's other calls at
most 3 s, and turns every exception plyer can raise into a DeliveryError.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification, milliseconds

log = logging.getLogger("kindnudge")
_WORD_JOINER = "\u2060"  # invisible; stops notify-send reading "-x" as an option


class PlyerNotifier:
    name = "plyer"

    def __init__(self) -> None:
        self._impl: Any = None

    def _implementation(self) -> Any:
        """Pick plyer's Linux class ourselves: its own choice can land on the
        Flatpak portal in any container with an /app folder."""
        if self._impl is None:
            if sys.platform.startswith("linux"):
                from plyer.platforms.linux import notification as linux

                try:
                    import dbus  # noqa: F401

                    self._impl = linux.NotifyDbus()
                except ImportError:
                    if not shutil.which("notify-send"):
                        raise DeliveryError(
                            "notify-send was not found; install libnotify-bin (Debian, Ubuntu)"
                            " or libnotify (Fedora, Arch)"
                        ) from None
                    self._impl = linux.NotifySendNotification()
            else:
                from plyer import notification

                self._impl = notification
        return self._impl

    def _via(self) -> str:
        return type(self._implementation()).__name__

    def describe(self) -> str:
        via = {"NotifySendNotification": "notify-send", "NotifyDbus": "dbus-python"}.get(
            self._via(), self._via()
        )
        if sys.platform.startswith("linux"):
            from kindnudge.notify.dbus import BUS_NAME, status

            return f"plyer via {via}; {BUS_NAME} {status()}"
        return f"plyer via {via}"

    def send(self, notification: Notification) -> None:
        try:
            self._send(notification)
        except DeliveryError:
            raise
        except Exception as exc:  # plyer raises whatever its platform code raises
            raise DeliveryError(f"plyer could not show the notification: {exc!r}") from None

    def _send(self, notification: Notification) -> None:
        impl = self._implementation()
        title, body, hints = notification.title, notification.body, {}
        if sys.platform.startswith("linux"):
            from kindnudge.notify.dbus import URGENCY, capabilities, for_markup

            # plyer's notify-send path can't tell us if nobody listens: ask
            # first (which also has the bus start a server it can start)
            body = for_markup(body, capabilities())
            if type(impl).__name__ == "NotifySendNotification":
                _notify_send(notification, *_for_notify_send(title, body))
                return
            if type(impl).__name__ == "NotifyDbus":  # plyer sends our hints, none of its own
                import dbus

                hints = {"urgency": dbus.Byte(URGENCY[notification.urgency])}
                if notification.transient:
                    hints["transient"] = dbus.Boolean(True)
        # _notify rather than notify: the public call drops plyer's own
        # expire_time (notify-send's -t), so the timeout would be ignored.
        _bounded(
            impl._notify,
            title=title,
            message=body,
            app_name=notification.app_name,
            app_icon=notification.icon,
            icon=notification.icon,
            timeout=int(notification.timeout.total_seconds()),
            expire_time=str(milliseconds(notification.timeout)),
            urgency=notification.urgency,
            ticker="",
            toast=False,
            hints=hints,
        )


def _notify_send(notification: Notification, title: str, body: str) -> None:
    """What plyer's notify-send path runs, but bounded, quiet and checked: plyer
    ignores the exit status, lets notify-send's errors through to our stderr, and
    waits as long as notify-send does (about 25 s on a silent service)."""
    from kindnudge.notify.dbus import TIMEOUT_S

    command = ["notify-send", title, body, "-i", notification.icon, "-u", notification.urgency]
    command += ["-a", notification.app_name, "-t", str(milliseconds(notification.timeout))]
    if notification.transient:  # -h: understood by every notify-send, unlike the newer -e
        command += ["-h", "boolean:transient:true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DeliveryError(
            f"the notification service did not answer notify-send within {TIMEOUT_S:g}s"
        ) from None
    except (OSError, ValueError) as exc:  # e.g. not allowed to run it, or a NUL in the text
        raise DeliveryError(f"notify-send could not be run: {exc}") from None
    if done.returncode:
        said = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        why = said[0] if said else f"it exited with status {done.returncode}"
        raise DeliveryError(f"notify-send failed: {why}")


def _bounded(call: Callable[..., Any], **kwargs: Any) -> None:
    """`call(**kwargs)` given at most TIMEOUT_S, with its warnings sent to the log.

    plyer's own calls have no timeout (dbus-python waits 25 s for a silent
    service) and warn on stderr; a nudge must settle within the documented bound,
    so the call runs on a thread that is left behind if it overruns.
    """
    from kindnudge.notify.dbus import TIMEOUT_S

    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call(**kwargs)
            outcome.append(None)
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        worker = threading.Thread(target=run, name="plyer", daemon=True)
        worker.start()
        worker.join(TIMEOUT_S)
    for warning in caught:
        log.info("plyer warned: %s", warning.message)
    if not outcome:
        raise DeliveryError(f"plyer did not finish within {TIMEOUT_S:g}s")
    if outcome[0] is not None:
        raise outcome[0]


def _for_notify_send(title: str, body: str) -> tuple[str, str]:
    """Title and body that notify-send passes on exactly as written.

    notify-send reads backslash escapes (`\\n`, `\\t`, `\\\\`) in the body, not in
    the title: doubled, each backslash comes out as one. A leading "-" would be
    read as an option, and the options go after the text (as plyer has them), so "--"
    can't help: an invisible word-joiner goes before it.
    """
    return _guard_dash(title), _guard_dash(body.replace("\\", "\\\\"))


def _guard_dash(text: str) -> str:
    return _WORD_JOINER + text if text.startswith("-") else text
