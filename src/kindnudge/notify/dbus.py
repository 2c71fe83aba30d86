"""Linux: org.freedesktop.Notifications over the D-Bus session bus, in pure
Python (jeepney). The server's reply to Notify is our proof of delivery; every
call is bounded by a timeout, so a hung server can never hang kindnudge. A
server that is not running but has a D-Bus service file is started by the bus
(D-Bus activation, common with i3 and sway).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification, Unreachable, milliseconds

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
TIMEOUT_S = 3.0
START_TIMEOUT_S = 10.0  # a server the bus starts on demand may take this long to be ready
URGENCY = {"low": 0, "normal": 1}  # the spec's byte values
NOTIFY_SIGNATURE = "susssasa{sv}i"


def session_address() -> str:
    """The session bus address, as a desktop session would set it."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "bus").exists():
        return f"unix:path={runtime}/bus"
    raise Unreachable(
        "no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set);"
        " run kindnudge from inside your desktop session"
    )


NO_SERVER = (
    "no notification service is running on the desktop session bus;"
    " start your desktop's notification daemon (e.g. dunst, mako)"
)


@contextmanager
def plain_errors() -> Iterator[None]:
    """Whatever jeepney raises, on connecting or on a call, becomes a
    DeliveryError saying what went wrong, so no failure escapes as something
    unexpected."""
    from jeepney import DBusErrorResponse

    try:
        yield
    except DeliveryError:
        raise
    except TimeoutError:
        raise DeliveryError(f"the notification service did not answer within {TIMEOUT_S:g}s") from None
    except DBusErrorResponse as exc:
        raise DeliveryError(f"the notification service refused: {_refusal(exc)}") from None
    except OSError as exc:
        raise DeliveryError(f"the session bus connection broke: {_reason(exc)}") from None
    except Exception as exc:  # e.g. struct.error: a value D-Bus can't carry
        raise DeliveryError(f"D-Bus cannot carry this notification: {type(exc).__name__}: {exc}") from None


def reply_to(conn: Any, message: Any, timeout: float = TIMEOUT_S) -> Any:
    """The reply to `message` (with its header: who sent it), or DBusErrorResponse."""
    from jeepney import DBusErrorResponse, MessageType

    reply = conn.send_and_get_reply(message, timeout=timeout)
    if reply.header.message_type is MessageType.error:
        raise DBusErrorResponse(reply)
    return reply


@contextmanager
def _bus() -> Iterator[Callable[..., tuple]]:
    """`ask(message, timeout)` on a new session bus connection, returning the reply's body."""
    with plain_errors(), connect() as conn:
        yield lambda message, timeout=TIMEOUT_S: reply_to(conn, message, timeout).body


@contextmanager
def _server() -> Iterator[Callable[..., tuple]]:
    """`call(method, signature, body)` on the notification server, which the bus
    starts first if it is not running but can be (D-Bus activation)."""
    with _bus() as ask:
        ensure_server(ask)
        yield lambda method, signature=None, body=(): ask(method_call(method, signature, body))


def ensure_server(ask: Callable[..., tuple]) -> None:
    """Have the bus start the notification server if none runs but one can be started."""
    from jeepney.bus_messages import message_bus

    if not ask(message_bus.NameHasOwner(BUS_NAME))[0]:
        _start(ask)


def method_call(method: str, signature: str | None = None, body: tuple = ()) -> Any:
    """A call to the notification server's interface."""
    from jeepney import DBusAddress, new_method_call

    return new_method_call(DBusAddress(OBJECT_PATH, BUS_NAME, BUS_NAME), method, signature, body)


def _start(ask: Callable[..., tuple]) -> None:
    """Have the bus start the server its service file names, waiting up to
    START_TIMEOUT_S: a server started cold can take longer than a call."""
    from jeepney import DBusErrorResponse
    from jeepney.bus_messages import message_bus

    if BUS_NAME not in ask(message_bus.ListActivatableNames())[0]:
        raise Unreachable(NO_SERVER)
    who = _named(service_program())
    try:
        ask(message_bus.StartServiceByName(BUS_NAME), timeout=START_TIMEOUT_S)
    except TimeoutError:
        raise DeliveryError(
            f"the session bus started the notification service{who}, but it was not ready"
            f" within {START_TIMEOUT_S:g}s"
        ) from None
    except DBusErrorResponse as exc:  # it never ran: nothing was reached
        raise Unreachable(
            f"the session bus could not start the notification service{who}: {_refusal(exc)}"
        ) from None


def _refusal(exc: Any) -> str:
    """A D-Bus error reply in one line: its name and its text."""
    return f"{exc.name}: {' '.join(map(str, exc.data))}".rstrip(": ")


def _named(program: str) -> str:
    return f" ({program})" if program else ""


def service_program() -> str:
    """The program the session bus would start for notifications, read from the
    first service file naming BUS_NAME in the standard folders; "" if none.

    The bus doesn't say which program it would start, and a user wants to know.
    """
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    data_dirs = (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    for folder in (data_home, *data_dirs):
        if not os.path.isabs(folder):  # the XDG spec: relative paths are ignored
            continue
        try:
            files = sorted(f for f in Path(folder, "dbus-1", "services").glob("*.service") if f.is_file())
        except OSError:
            continue
        for file in files:
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            fields = {key.strip(): value.strip() for key, _, value in (line.partition("=") for line in lines)}
            if fields.get("Name") == BUS_NAME:
                import shlex

                with contextlib.suppress(ValueError, IndexError):  # the bus reads Exec as a shell would
                    return Path(shlex.split(fields.get("Exec", ""))[0]).name
    return ""


def connect() -> Any:
    """An open session bus connection, or Unreachable naming the address and why."""
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
    raise Unreachable(f"cannot reach the session bus at {bus}: {why}; check DBUS_SESSION_BUS_ADDRESS")


def _reason(exc: OSError) -> str:
    """An OSError in a few plain words: "connection refused", "timed out"."""
    if isinstance(exc, TimeoutError):
        return f"it did not answer within {TIMEOUT_S:g}s"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def capabilities() -> list[str]:
    """What the server can do (e.g. "body-markup"), starting it if the bus can;
    or DeliveryError saying why there is none."""
    with _server() as call:
        return _capabilities(call)


def _capabilities(call: Callable[..., tuple]) -> list[str]:
    return capabilities_in(call("GetCapabilities"))


def capabilities_in(body: tuple) -> list[str]:
    """The reply to GetCapabilities, as a list (whatever a server put in it)."""
    return [str(c) for c in body[0]] if body and isinstance(body[0], list) else []


def notify_body(notification: Notification, capabilities: list[str]) -> tuple:
    """The arguments of Notify: actions only where the server has them, and
    then the body that speaks of them."""
    hints: dict[str, tuple[str, Any]] = {"urgency": ("y", URGENCY[notification.urgency])}
    if notification.desktop_entry:
        hints["desktop-entry"] = ("s", notification.desktop_entry)
    if notification.transient:
        hints["transient"] = ("b", True)
    actions = list(notification.actions) if "actions" in capabilities else []
    body = (actions and notification.body_with_actions) or notification.body
    return (
        notification.app_name,
        notification.replaces,
        notification.icon,
        notification.title,
        for_markup(body, capabilities),
        actions,
        hints,
        milliseconds(notification.timeout),
    )


def status() -> str:
    """For `check`: who serves notifications, or which server the bus would
    start on the first nudge. Never starts one: checking must change nothing."""
    from jeepney.bus_messages import message_bus

    with _bus() as ask:
        if ask(message_bus.NameHasOwner(BUS_NAME))[0]:
            info = ask(method_call("GetServerInformation"))  # name, vendor, version, spec version
            words = [str(info[i]) for i in (0, 2) if i < len(info) and info[i]]
            return f"served by {' '.join(words) or 'an unnamed server'}"
        if BUS_NAME in ask(message_bus.ListActivatableNames())[0]:
            return f"not running yet; the bus will start it{_named(service_program())} on the first nudge"
        raise Unreachable(NO_SERVER)


def for_markup(body: str, capabilities: list[str]) -> str:
    """A server with body markup would read "<" and "&" as markup: escape them,
    so the text appears exactly as written. (The summary is never markup.)
    Three replacements, not `html.escape`: the html package's entity table
    would stay in an idle daemon's memory for this one call."""
    if "body-markup" not in capabilities:
        return body
    return body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DBusNotifier:
    name = "dbus"

    def send(self, notification: Notification) -> None:
        """Any reply to Notify that is not an error is proof of delivery,
        whatever it carries: some servers answer id 0 and show it all the same,
        so calling that a failure would show the nudge twice."""
        with _server() as call:
            call("Notify", NOTIFY_SIGNATURE, notify_body(notification, _capabilities(call)))

    def describe(self) -> str:
        return f"dbus: {BUS_NAME}, {status()}"
