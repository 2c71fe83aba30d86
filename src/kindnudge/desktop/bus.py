"""One short-lived session-bus connection for reading the desktop's state,
or none: every D-Bus source is then Unavailable.

Reading the moment never starts a service: every call carries D-Bus's
no-auto-start flag, so a screensaver or settings daemon that is installed but
not running stays off, and its source is Unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kindnudge.desktop import Unavailable
from kindnudge.notify.dbus import connect, reply_to

READ_TIMEOUT_S = 2.0  # each call; a service that takes longer is not asked again for this moment

Bus = Callable[[Any], tuple]


@contextmanager
def asking() -> Iterator[Bus]:
    """`bus(message)` -> the reply's body; raises Unavailable when there is no bus,
    or when the service refuses (not there, no such property)."""
    try:
        conn = connect()
    except Exception:
        conn = None
    hung: set[str] = set()  # services that did not answer in time: each costs one wait at most

    def bus(message: Any) -> tuple:
        if conn is None:
            raise Unavailable("no session bus")
        from jeepney import DBusErrorResponse, HeaderFields
        from jeepney.low_level import MessageFlag

        service = message.header.fields.get(HeaderFields.destination, "")
        if service in hung:
            raise Unavailable(f"{service} did not answer in time")
        message.header.flags |= MessageFlag.no_auto_start
        try:
            return reply_to(conn, message, READ_TIMEOUT_S).body
        except DBusErrorResponse as exc:
            raise Unavailable(str(exc)) from None
        except TimeoutError:
            hung.add(service)
            raise

    try:
        yield bus
    finally:
        if conn is not None:
            conn.close()


def call(
    bus: Bus,
    name: str,
    path: str,
    interface: str,
    method: str,
    signature: str | None = None,
    body: tuple = (),
) -> tuple:
    """A method's reply body, through `bus`."""
    from jeepney import DBusAddress, new_method_call

    return bus(new_method_call(DBusAddress(path, name, interface), method, signature, body))


def get_property(bus: Bus, name: str, path: str, interface: str, prop: str) -> Any:
    """A D-Bus property's value, through `bus`."""
    from jeepney import DBusAddress, Properties

    return bus(Properties(DBusAddress(path, name, interface)).get(prop))[0][1]


def require_owner(bus: Bus, name: str) -> None:
    """Unavailable unless some program holds `name` on the bus now."""
    from jeepney.bus_messages import message_bus

    if not bus(message_bus.NameHasOwner(name))[0]:
        raise Unavailable(f"{name} is not running")


def signal_rule(member: str, interface: str, path: str | None, sender: str, *args: str) -> str:
    """A match rule for a signal, as AddMatch takes it; `args` must equal arg0,
    arg1...; `path` None: from any object of `sender`."""
    from jeepney import MatchRule

    rule = MatchRule(type="signal", sender=sender, interface=interface, member=member, path=path)
    for number, value in enumerate(args):
        rule.add_arg_condition(number, value)
    return rule.serialise()


def properties_changed(sender: str, path: str, interface: str) -> str:
    """The match rule for a change to `interface`'s properties at `path`."""
    return signal_rule("PropertiesChanged", "org.freedesktop.DBus.Properties", path, sender, interface)


def boolean(value: Any, what: str) -> bool:
    """A D-Bus answer that must be a boolean: anything else is a source that fails
    (a wrong answer never holds a nudge)."""
    if not isinstance(value, bool):
        raise Unavailable(f"{what} answered {value!r}, not true or false")
    return value


def count(value: Any, what: str) -> int:
    """A D-Bus answer that must be a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unavailable(f"{what} answered {value!r}, not a count")
    return value
