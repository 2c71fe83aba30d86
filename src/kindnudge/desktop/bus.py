"""One short-lived session-bus connection for reading the desktop's state,
or none: every D-Bus source is then Unavailable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kindnudge.desktop import Unavailable
from kindnudge.notify.dbus import TIMEOUT_S, connect, reply_to


@contextmanager
def asking() -> Iterator[Callable[[Any], tuple]]:
    """`bus(message)` -> the reply's body; raises Unavailable when there is no bus,
    or when the service refuses (not there, no such property)."""
    try:
        conn = connect()
    except Exception:
        conn = None

    def bus(message: Any) -> tuple:
        if conn is None:
            raise Unavailable("no session bus")
        from jeepney import DBusErrorResponse

        try:
            return reply_to(conn, message, TIMEOUT_S).body
        except DBusErrorResponse as exc:
            raise Unavailable(str(exc)) from None

    try:
        yield bus
    finally:
        if conn is not None:
            conn.close()


def get_property(bus: Callable[[Any], tuple], name: str, path: str, interface: str, prop: str) -> Any:
    """A D-Bus property's value, through `bus`."""
    from jeepney import DBusAddress, Properties

    return bus(Properties(DBusAddress(path, name, interface)).get(prop))[0][1]
