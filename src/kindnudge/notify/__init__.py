"""Showing a notification, behind one small interface.

Each backend's `send` either hands the notification to the desktop or raises
DeliveryError with a reason a person can act on; none fails silently.
`choose` is the one place that maps the config's `backend` to an object,
and `auto` means: the most reliable backend of this platform first, the next
one as a fallback.
"""

from __future__ import annotations

import logging
import sys

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import (
    APP_NAME,
    Notification,
    Notifier,
    Receipt,
    Sent,
    Unreachable,
    milliseconds,
)

__all__ = [
    "APP_NAME",
    "Alongside",
    "Chain",
    "Notification",
    "Notifier",
    "Receipt",
    "Sent",
    "Unreachable",
    "choose",
    "milliseconds",
]

log = logging.getLogger("kindnudge")
log.addHandler(logging.NullHandler())  # the CLI's one-line errors stay one line


def attempt(backend: Notifier, notification: Notification) -> Receipt | None:
    """`backend.send`, with anything unexpected it raises made a DeliveryError:
    a claimed nudge must always be settled, whatever a library throws."""
    try:
        return backend.send(notification)
    except DeliveryError:
        raise
    except Exception as exc:
        raise unexpected(exc, backend.name) from exc


def explain(backend: Notifier) -> str:
    """`backend.describe`, with anything unexpected made a DeliveryError."""
    try:
        return backend.describe()
    except DeliveryError:
        raise
    except Exception as exc:
        raise unexpected(exc, backend.name) from exc


def unexpected(exc: Exception, where: str) -> DeliveryError:
    """Call in an `except`: the traceback goes to the log, a one-line reason comes back."""
    log.exception("%s raised something unexpected", where)
    return DeliveryError(f"unexpected {type(exc).__name__}: {str(exc) or 'no details'} (please report this)")


class Chain:
    """Backends in order of trust. The next one is tried only when one could
    reach no service at all: once a service was reached and refused or went
    quiet, the nudge failed, as a second route to it can prove nothing."""

    def __init__(self, backends: list[Notifier]) -> None:
        self.backends = backends
        self.name = "+".join(b.name for b in backends)

    def send(self, notification: Notification) -> Sent:
        reasons: dict[str, str] = {}
        reached = None  # a backend that reached a service, which then failed
        for backend in self.backends:
            try:
                receipt = attempt(backend, notification)
            except DeliveryError as exc:
                reasons[backend.name] = str(exc)
                log.warning("%s could not deliver: %s", backend.name, exc)
                if isinstance(exc, Unreachable):
                    continue
                reached = backend
                break
            else:
                failures = tuple(f"{name}: {why}" for name, why in reasons.items())
                return Sent(backend.name, failures, receipt if isinstance(receipt, Receipt) else None)
        # Every route unreachable (no server at all) stays Unreachable: a held nudge waits on.
        error = Unreachable if reached is None else DeliveryError
        if len(set(reasons.values())) == 1:  # the same cause, e.g. no server at all
            raise error(f"{next(iter(reasons.values()))}; tried {' and '.join(reasons)}")
        raise error("; ".join(f"{name}: {why}" for name, why in reasons.items()))

    def describe(self) -> str:
        """Which backend would deliver now, and why the ones before it would not."""
        notes = []
        for backend in self.backends:
            try:
                how = explain(backend)
            except DeliveryError as exc:
                notes.append(f"{backend.name} unavailable ({exc})")
                continue
            chosen = f"{backend.name}, {how}" if not how.startswith(backend.name) else how
            return "; ".join([chosen, *notes]) if notes else chosen
        raise DeliveryError("no backend can deliver: " + "; ".join(notes))


def platform_order(platform: str | None = None) -> list[str]:
    """`auto`: the backend that can prove delivery first, then plyer. The
    platform is looked up when asked, so a test can stand in for another."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return ["dbus", "plyer"]
    if platform == "darwin":
        return ["osascript", "plyer"]
    if platform == "win32":
        return ["windows"]
    return ["plyer"]


def backend(name: str, dbus: Notifier | None = None) -> Notifier:
    """The backend called `name`; `dbus`: the daemon's own connection, used for "dbus"."""
    if name == "dbus" and dbus is not None:
        return dbus
    if name == "dbus":
        from kindnudge.notify.dbus import DBusNotifier

        return DBusNotifier()
    if name == "osascript":
        from kindnudge.notify.macos import OsascriptNotifier

        return OsascriptNotifier()
    if name == "windows":
        from kindnudge.notify.windows import WindowsNotifier

        return WindowsNotifier()
    if name == "console":
        from kindnudge.notify.console import ConsoleNotifier

        return ConsoleNotifier()
    from kindnudge.notify.plyer_backend import PlyerNotifier

    return PlyerNotifier()


class Alongside:
    """The desktop chain and a push channel both; delivered if either took it."""

    def __init__(self, desktop: Chain, push: Notifier) -> None:
        self.desktop, self.push = desktop, push
        self.name = f"{desktop.name} and {push.name}"

    def send(self, notification: Notification) -> Sent:
        delivered, failures, receipt = [], [], None
        try:
            sent = self.desktop.send(notification)
            delivered.append(sent.backend)
            failures += sent.failures
            receipt = sent.receipt
        except DeliveryError as exc:
            failures.append(str(exc))
        try:
            attempt(self.push, notification)
            delivered.append(self.push.name)
        except DeliveryError as exc:
            failures.append(f"{self.push.name}: {exc}")
        if not delivered:
            raise DeliveryError("; ".join(failures))
        return Sent(" and ".join(delivered), tuple(failures), receipt)

    def describe(self) -> str:
        return f"{self.desktop.describe()}; and {explain(self.push)}"


def choose(
    name: str, push_urls: tuple[str, ...] = (), push_mode: str = "alongside", dbus: Notifier | None = None
) -> Chain | Alongside:
    """The notifier for these settings: a desktop chain, plus push if configured.
    `dbus`: a long-lived connection to use for the dbus backend (the daemon's)."""
    desktop = Chain([backend(n, dbus) for n in (platform_order() if name == "auto" else [name])])
    if not push_urls:
        return desktop
    from kindnudge.notify.push import PushNotifier

    push = PushNotifier(push_urls)
    return Chain([push]) if push_mode == "instead" else Alongside(desktop, push)
