"""Linux: org.freedesktop.Notifications over the D-Bus session bus, in pure
Python (jeepney). The server's reply carries a notification id, which is our
proof of delivery; every call is bounded by a timeout, so a hung server can
never hang kindnudge.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kindnudge.errors import DeliveryError
from kindnudge.notify import Notification, milliseconds

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
TIMEOUT_S = 3.0
_URGENCY = {"low": 0, "normal": 1}


def session_address() -> str:
    """The session bus address, as a desktop session would set it."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "bus").exists():
        return f"unix:path={runtime}/bus"
    raise DeliveryError(
        "no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set);"
        " run kindnudge from inside your desktop session"
    )


@contextmanager
def _server() -> Iterator[Any]:
    """A connection on which the notification server is known to be present.

    Whatever jeepney raises, on connecting or on a call, becomes a DeliveryError
    saying what went wrong, so no failure escapes as something unexpected.
    """
    from jeepney import DBusAddress, DBusErrorResponse, new_method_call
    from jeepney.bus_messages import message_bus

    address = DBusAddress(OBJECT_PATH, BUS_NAME, BUS_NAME)

    def call(method: str, signature: str | None = None, body: tuple = ()) -> tuple:
        message = new_method_call(address, method, signature, body)
        reply = conn.send_and_get_reply(message, timeout=TIMEOUT_S)
        if reply.header.message_type.name == "error":
            raise DBusErrorResponse(reply)
        return reply.body

    try:
        with _connect() as conn:
            owned = conn.send_and_get_reply(message_bus.NameHasOwner(BUS_NAME), timeout=TIMEOUT_S)
            if not owned.body[0]:
                raise DeliveryError(
                    "no notification service is running on the desktop session bus;"
                    " start your desktop's notification daemon (e.g. dunst, mako)"
                )
            yield call
    except DeliveryError:
        raise
    except TimeoutError:
        raise DeliveryError(f"the notification service did not answer within {TIMEOUT_S:g}s") from None
    except DBusErrorResponse as exc:
        raise DeliveryError(
            f"the notification service refused: {exc.name}: {' '.join(map(str, exc.data))}"
        ) from None
    except OSError as exc:
        raise DeliveryError(f"the session bus connection broke: {_reason(exc)}") from None
    except Exception as exc:  # e.g. struct.error: a value D-Bus can't carry
        raise DeliveryError(f"D-Bus cannot carry this notification: {type(exc).__name__}: {exc}") from None


def _connect() -> Any:
    """An open session bus connection, or a DeliveryError naming the address and why."""
    from jeepney.auth import AuthenticationError
    from jeepney.io.blocking import open_dbus_connection

    bus = session_address()
    try:
        return open_dbus_connection(bus=bus, auth_timeout=TIMEOUT_S)
    except AuthenticationError as exc:
        why = f"it refused kindnudge ({exc})"
    except RuntimeError:  # jeepney: "DBus transports ({'tcp'}) not supported"
        why = "kindnudge can only use a unix: socket address"
    except (ValueError, KeyError, IndexError):
        why = "not a D-Bus address (one reads e.g. unix:path=/run/user/1000/bus)"
    except OSError as exc:
        why = _reason(exc)
    raise DeliveryError(f"cannot reach the session bus at {bus}: {why}; check DBUS_SESSION_BUS_ADDRESS")


def _reason(exc: OSError) -> str:
    """An OSError in a few plain words: "connection refused", "timed out"."""
    if isinstance(exc, TimeoutError):
        return f"it did not answer within {TIMEOUT_S:g}s"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def server_info() -> tuple[str, list[str]]:
    """The running server's name and version, and its capabilities; or
    DeliveryError saying why there is none."""
    with _server() as call:
        name, _vendor, version, _spec = call("GetServerInformation")
        (capabilities,) = call("GetCapabilities")
        return f"{name} {version}".strip(), capabilities


def for_markup(body: str, capabilities: list[str]) -> str:
    """A server with body markup would read "<" and "&" as markup: escape them,
    so the text appears exactly as written. (The summary is never markup.)"""
    return html.escape(body, quote=False) if "body-markup" in capabilities else body


class DBusNotifier:
    name = "dbus"

    def send(self, notification: Notification) -> None:
        with _server() as call:
            (capabilities,) = call("GetCapabilities")
            body = for_markup(notification.body, capabilities)
            hints = {"urgency": ("y", _URGENCY[notification.urgency])}
            (notification_id,) = call(
                "Notify",
                "susssasa{sv}i",
                (
                    notification.app_name,
                    0,
                    notification.icon,
                    notification.title,
                    body,
                    [],
                    hints,
                    milliseconds(notification.timeout),
                ),
            )
        if not notification_id:
            raise DeliveryError("the notification service accepted nothing (it returned id 0)")

    def describe(self) -> str:
        return f"dbus: org.freedesktop.Notifications, served by {server_info()[0]}"
