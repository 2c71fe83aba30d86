"""The daemon's one session-bus connection: Notify without connecting and
asking the server's capabilities every time, and the server's signals about
what it showed (a button pressed, a notification closed).

The daemon's watcher selects on `fileno()` and calls `events()` when the
socket is readable, so listening costs no wake-up of its own. Sending and
reading share the socket, so they take turns under one lock; signals read
while waiting for a reply are kept, and `wake()` asks the watcher to collect
them. A server that restarts (NameOwnerChanged) is asked its capabilities
again; a bus that goes away is connected to afresh at the next delivery.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from kindnudge.notify.dbus import (
    BUS_NAME,
    NOTIFY_SIGNATURE,
    TIMEOUT_S,
    DBusNotifier,
    capabilities_in,
    connect,
    ensure_server,
    method_call,
    notify_body,
    plain_errors,
    reply_to,
)
from kindnudge.notify.notification import Notification, Receipt

log = logging.getLogger("kindnudge")

BUSY_S = 0.2  # how long the watcher waits for a call under way before looking again


class Action(NamedTuple):
    """A button (or the body, `default`) was pressed on a notification we sent."""

    receipt: Receipt
    key: str


class Closed(NamedTuple):
    """A notification we sent is gone (expired, dismissed, or closed by a press)."""

    receipt: Receipt


class Changed(NamedTuple):
    """A signal that may mean the moment cleared (see `Session.listen_for`):
    time to ask the desktop again."""

    signal: str = ""  # e.g. "PropertiesChanged on /org/freedesktop/Notifications", for the log


Event = Action | Closed | Changed


class Session:
    """A Notifier ("dbus") that stays connected. Thread-safe."""

    name = "dbus"

    def __init__(self) -> None:
        self._conn: Any = None
        self._lock = threading.Lock()
        self._signals: deque = deque()  # filled by jeepney's filters as messages are read
        self._filters: list[Any] = []
        self._listening: list[str] = []  # match rules whose signals become Changed
        self._heard: dict[str, Any] = {}  # each such rule's filter on the connection now
        self._changes: deque = deque()  # their signals, as jeepney's filters read them
        self._events: list[Event] = []
        self._capabilities: list[str] | None = None  # of the server now on the bus; None: ask
        self.wake: Callable[[], None] = lambda: None  # the watcher: look at fileno() and events()

    # -- the watcher's side -------------------------------------------------------

    def fileno(self) -> int | None:
        conn = self._conn
        fd = conn.sock.fileno() if conn else -1
        return fd if fd >= 0 else None

    def events(self) -> list[Event]:
        """What the server said since last asked, without waiting for more.
        While a call waits for its reply, this gives up after BUSY_S, so the
        watcher can still be stopped; what came meanwhile is taken next time."""
        if not self._lock.acquire(timeout=BUSY_S):
            self.wake()  # ask again: what is buffered meanwhile may never make the socket readable
            return []
        try:
            if self._conn is not None:
                try:
                    self._read(self._conn)
                except Exception as exc:  # EOF or a garbled stream: this connection is over
                    log.info("the session bus connection ended (%s); connecting again at the next nudge", exc)
                    self._drop()
            events, self._events = self._events, []
        finally:
            self._lock.release()
        return events

    def open(self) -> None:
        """Connect now, so the watcher listens from the start; a delivery tries again."""
        with self._lock, plain_errors():
            self._connection()

    def listen_for(self, rules: list[str]) -> None:
        """Hear exactly the signals matching these D-Bus match rules (Attention.signals())
        as Changed events, on this connection and on every one after it; [] hears none."""
        with self._lock:
            wanted = list(dict.fromkeys(rules))
            gone = [rule for rule in self._listening if rule not in wanted]
            new = [rule for rule in wanted if rule not in self._listening]
            self._listening = wanted
            if self._conn is not None:
                try:
                    self._unlisten(self._conn, gone)
                    self._listen(self._conn, new)
                except OSError as exc:  # the bus broke: the next connection adds them all
                    log.info("could not listen on the session bus (%s); again at the next connection", exc)

    def close(self) -> None:
        """At the end; a call still waiting for its reply is not waited for."""
        if self._lock.acquire(blocking=False):
            try:
                self._drop()
            finally:
                self._lock.release()

    # -- the Notifier's side ------------------------------------------------------

    def send(self, notification: Notification) -> Receipt:
        """Notify over the kept connection; the reply (an id, from the server's
        unique name) is the proof of delivery, as for DBusNotifier."""
        try:
            with self._lock, plain_errors():
                return self._notify(notification)
        finally:  # signals read (or buffered) while waiting for the reply: the watcher takes them
            self.wake()

    def close_notification(self, receipt: Receipt) -> None:
        """Take a notification off the screen (its body was clicked)."""
        with self._lock:
            conn = self._conn
            if conn is None or receipt.server != self._owner(conn):
                return  # that server is gone, and its notifications with it
            with plain_errors():
                reply_to(conn, method_call("CloseNotification", "u", (receipt.id,)))

    def close_at_stop(self, receipts: list[Receipt]) -> None:
        """Take these off the screen as the daemon stops, without waiting for the
        server's answers: a server that hangs must not hold up the stop."""
        if not receipts or not self._lock.acquire(blocking=False):
            return
        try:
            conn = self._conn
            owner = self._owner(conn) if conn is not None else ""  # the bus answers this, not the server
            for receipt in receipts:
                if receipt.server == owner:
                    with contextlib.suppress(OSError):
                        conn.send(method_call("CloseNotification", "u", (receipt.id,)))
        finally:
            self._lock.release()

    def describe(self) -> str:
        return DBusNotifier().describe()

    # -- under the lock -----------------------------------------------------------

    def _notify(self, notification: Notification) -> Receipt:
        conn = self._connection()
        try:
            self._read(conn)  # a NameOwnerChanged (or the bus's end) may be waiting
        except OSError:
            self._drop()  # the bus went away: nothing was sent yet, so connect again
            conn = self._connection()
        try:
            if self._capabilities is None:
                ask = lambda message, timeout=TIMEOUT_S: reply_to(conn, message, timeout).body  # noqa: E731
                ensure_server(ask)
                self._capabilities = capabilities_in(ask(method_call("GetCapabilities")))
            body = notify_body(notification, self._capabilities)
            reply = reply_to(conn, method_call("Notify", NOTIFY_SIGNATURE, body))
        except OSError as exc:
            if not isinstance(exc, TimeoutError):  # a server that is slow to answer is no broken bus
                self._drop()
            raise
        from jeepney import HeaderFields

        server = str(reply.header.fields.get(HeaderFields.sender, ""))
        ids = [value for value in reply.body if isinstance(value, int)]
        return Receipt(server, ids[0] if ids else 0)

    def _connection(self) -> Any:
        if self._conn is None:
            from jeepney import MatchRule
            from jeepney.bus_messages import message_bus

            conn = connect()
            try:
                owners = MatchRule(type="signal", sender="org.freedesktop.DBus", member="NameOwnerChanged")
                owners.add_arg_condition(0, BUS_NAME)
                ours = MatchRule(type="signal", interface=BUS_NAME)
                for rule in (owners, ours):
                    self._filters.append(conn.filter(rule, queue=self._signals))
                    reply_to(conn, message_bus.AddMatch(rule))
                self._listen(conn, self._listening)
            except BaseException:
                conn.close()
                self._filters.clear()
                raise
            self._conn, self._capabilities = conn, None
            self.wake()
        return self._conn

    def _listen(self, conn: Any, rules: list[str]) -> None:
        """Ask the bus for these signals, and keep them apart from the server's."""
        from jeepney import DBusErrorResponse
        from jeepney.bus_messages import message_bus

        for text in rules:
            heard = conn.filter(_local_rule(text), queue=self._changes)  # first: a signal may follow at once
            try:
                reply_to(conn, message_bus.AddMatch(text))
            except DBusErrorResponse as exc:  # a rule the bus refuses must not cost the nudges their bus
                heard.close()
                log.warning("the session bus refused to pass on %s: %s", text, exc)
                continue
            self._heard[text] = heard

    def _unlisten(self, conn: Any, rules: list[str]) -> None:
        """No longer hear these signals."""
        from jeepney import DBusErrorResponse
        from jeepney.bus_messages import message_bus

        for text in rules:
            heard = self._heard.pop(text, None)
            if heard is None:  # the bus refused it: nothing to take back
                continue
            heard.close()
            with contextlib.suppress(DBusErrorResponse):
                reply_to(conn, message_bus.RemoveMatch(text))

    def _drop(self) -> None:
        conn, self._conn, self._capabilities = self._conn, None, None
        self._filters.clear()
        self._heard.clear()
        self._signals.clear()
        self._changes.clear()
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
            self.wake()  # the socket the watcher waits on is gone

    def _read(self, conn: Any) -> None:
        """Take in whatever has arrived, without waiting: signals become events."""
        from jeepney import HeaderFields

        while True:
            try:
                conn.recv_messages(timeout=0)
            except TimeoutError:
                break
        while self._signals:
            self._take(self._signals.popleft())
        while self._changes:
            fields = self._changes.popleft().header.fields
            self._events.append(
                Changed(f"{fields.get(HeaderFields.member)} on {fields.get(HeaderFields.path)}")
            )

    def _take(self, message: Any) -> None:
        from jeepney import HeaderFields

        fields, body = message.header.fields, message.body
        member, sender = fields.get(HeaderFields.member), str(fields.get(HeaderFields.sender, ""))
        if member == "NameOwnerChanged":
            log.info("the notification service changed (now %s); asking it afresh", body[2] or "none")
            self._capabilities = None
        elif member == "ActionInvoked" and len(body) == 2 and _an_id(body[0]) and isinstance(body[1], str):
            self._events.append(Action(Receipt(sender, body[0]), body[1]))
        elif member == "NotificationClosed" and body and _an_id(body[0]):
            self._events.append(Closed(Receipt(sender, body[0])))
        elif member in ("ActionInvoked", "NotificationClosed"):  # any program may send a signal
            log.debug("ignored a malformed %s signal from %s", member, sender)

    def _owner(self, conn: Any) -> str:
        from jeepney.bus_messages import message_bus

        try:
            return str(reply_to(conn, message_bus.GetNameOwner(BUS_NAME)).body[0])
        except Exception:
            return ""


def _an_id(value: Any) -> bool:
    """A notification id as the spec sends it (uint32); anything else is someone else's noise."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32


def _local_rule(text: str) -> Any:
    """A match rule as AddMatch takes it (key='value',...), as a jeepney
    MatchRule for sorting what arrives. The sender is left out: the bus has
    already checked it, and messages carry the sender's unique name, not the
    well-known one a rule names."""
    from jeepney import MatchRule, MessageType

    rule = MatchRule()
    for key, value in _pairs(text):
        if key == "type" and value in MessageType.__members__:
            rule.message_type = MessageType[value]
        elif key in ("interface", "member", "path", "destination"):
            rule.header_fields[key] = value
        elif key == "path_namespace":
            rule.path_namespace = value
        elif key.startswith("arg") and key[3:].isdigit():
            rule.add_arg_condition(int(key[3:]), value)
        elif key.startswith("arg") and key.endswith("path") and key[3:-4].isdigit():
            rule.add_arg_condition(int(key[3:-4]), value, "path")
    return rule


def _pairs(text: str) -> list[tuple[str, str]]:
    """key='value' pairs of a match rule: values in single quotes, a quote
    itself written \\' outside them (the D-Bus specification's syntax)."""
    pairs, key, value, i, quoted = [], "", "", 0, False
    in_key = True
    while i < len(text):
        char = text[i]
        if in_key:
            if char == "=":
                in_key = False
            else:
                key += char
        elif quoted:
            if char == "'":
                quoted = False
            else:
                value += char
        elif char == "'":
            quoted = True
        elif char == "\\" and text[i + 1 : i + 2] == "'":
            value += "'"
            i += 1
        elif char == ",":
            pairs.append((key.strip(), value))
            key, value, in_key = "", "", True
        else:
            value += char
        i += 1
    if key.strip():
        pairs.append((key.strip(), value))
    return pairs
