"""A real, private desktop for tests: Xvfb, a session bus of our own, and dunst.

Nothing is auto-started on the bus, so when dunst is down, sending fails
loudly instead of reaching some other server; unless a test gives the bus a
folder of service files, as desktops that start their notification server on
demand do (D-Bus activation). Every notification dunst receives is appended
as one JSON line to `received.jsonl`, by dunst's own script hook.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  {servicedir}
</busconfig>
"""

_LOGGER = """#!/usr/bin/env python3
import json, os, sys, time
keys = ("appname", "summary", "body", "icon", "urgency")
record = dict(zip(keys, sys.argv[1:]))
record["received"] = time.time()
record["timeout"] = os.environ.get("DUNST_TIMEOUT")
with open(os.environ.get("KN_RECEIVED", "%s"), "a", encoding="utf-8") as out:
    out.write(json.dumps(record) + "\\n")
"""

HARNESS_LOOK = """[global]
    markup = full
    stack_duplicates = false
    always_run_script = true
"""  # dunst's own look otherwise; markup as dunst ships it, so escaping is tested

_LOG_RULE = """
[log]
    appname = "*"
    script = {script}
"""


class Desktop:
    """Start with `Desktop(folder).start()`; stop() kills exactly what it began."""

    def __init__(self, folder: Path, look: str = HARNESS_LOOK) -> None:
        """`look`: dunstrc settings; every notification is also logged, whatever they say."""
        self.folder = folder
        self.look = look
        self.received_file = folder / "received.jsonl"
        self.env: dict[str, str] = {}
        self._procs: list[subprocess.Popen] = []
        self._bus_pid: int | None = None
        self.dunst: subprocess.Popen | None = None
        self.services: Path | None = None

    def start(self, with_server: bool = True, services: Path | None = None) -> Desktop:
        """`services`: a folder of D-Bus service files the bus may start servers from."""
        self.folder.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        self._procs.append(xvfb)
        with os.fdopen(read_fd) as pipe:
            display = pipe.readline().strip()
        conf = self.folder / "bus.conf"
        self.services = services
        servicedir = f"<servicedir>{services}</servicedir>" if services else ""
        conf.write_text(_BUS_CONF.replace("{servicedir}", servicedir))
        out = subprocess.run(
            ["dbus-daemon", f"--config-file={conf}", "--fork", "--print-address=1", "--print-pid=1"],
            env={**os.environ, "DISPLAY": f":{display}"},  # what a server it starts needs, as in a session
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        self._bus_pid = int(out[1])
        self.env = {
            "DISPLAY": f":{display}",
            "DBUS_SESSION_BUS_ADDRESS": out[0],
        }
        self.come_back()
        if with_server:
            self.start_server()
        return self

    def come_back(self) -> None:
        """As if the person touched the mouse: the X server's idle time starts
        from 0 again (one call; the tests' Xvfb otherwise gets no input)."""
        from kindnudge.desktop.x11 import xlib

        x = xlib()
        x.XForceScreenSaver.argtypes = [ctypes.c_void_p, ctypes.c_int]
        handle = x.XOpenDisplay(self.env["DISPLAY"].encode())
        x.XForceScreenSaver(handle, 0)  # ScreenSaverReset
        x.XCloseDisplay(handle)  # flushes the request

    def dunst_command(self) -> list[str]:
        """dunst with a config that logs what it receives to `received.jsonl`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        logger = self.folder / "log-notification.py"
        logger.write_text(_LOGGER % self.received_file)
        logger.chmod(0o755)
        rc = self.folder / "dunstrc"
        rc.write_text(self.look + _LOG_RULE.format(script=logger))
        return ["/usr/bin/dunst", "-config", str(rc)]

    def start_server(self, tries: int = 2) -> None:
        """dunst 1.9 now and then dies at start-up with SIGTRAP (a GLib
        assertion, seen under load); a desktop's bus would start it again, so
        the tests do too, once. What it said is kept in dunst.err."""
        env = {**os.environ, **self.env}
        with open(self.folder / "dunst.err", "ab") as err:
            self.dunst = subprocess.Popen(
                self.dunst_command(), env=env, stdout=subprocess.DEVNULL, stderr=err
            )
        deadline = time.monotonic() + 20  # generous: a loaded 2-core machine starts it slowly
        while time.monotonic() < deadline and self.dunst.poll() is None:
            if self.server_on_bus():
                return
            time.sleep(0.02)
        if self.dunst.poll() is not None and tries > 1:
            return self.start_server(tries - 1)
        ended = "" if self.dunst.poll() is None else f" (it exited with status {self.dunst.returncode})"
        raise RuntimeError(f"dunst did not take org.freedesktop.Notifications within 20 s{ended}")

    def stop_server(self) -> None:
        if self.dunst:
            self.dunst.terminate()
            self.dunst.wait(5)
            self.dunst = None

    def server_on_bus(self) -> bool:
        return "boolean true" in self._ask_bus("NameHasOwner")

    def server_pid(self) -> int | None:
        """The process that owns the notification name, whoever started it."""
        words = self._ask_bus("GetConnectionUnixProcessID").split()
        return int(words[-1]) if words[-2:-1] == ["uint32"] else None

    def _ask_bus(self, method: str) -> str:
        return subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                f"org.freedesktop.DBus.{method}",
                "string:org.freedesktop.Notifications",
            ],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
        ).stdout

    def received(self, at_least: int = 0, wait_s: float = 5.0) -> list[dict]:
        """What dunst has received; waits (polling its log) for `at_least` entries."""
        deadline = time.monotonic() + wait_s
        while True:
            lines = self.received_file.read_text().splitlines() if self.received_file.exists() else []
            if len(lines) >= at_least or time.monotonic() > deadline:
                return [json.loads(line) for line in lines]
            time.sleep(0.02)

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-window", "root", str(path)], env={**os.environ, **self.env}, check=True)

    def stop(self) -> None:
        self.stop_server()
        started_by_the_bus = self.server_pid() if self.services and self._bus_pid else None
        if started_by_the_bus:
            with contextlib.suppress(ProcessLookupError):
                os.kill(started_by_the_bus, signal.SIGTERM)
        if self._bus_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._bus_pid, signal.SIGTERM)
        for proc in self._procs:
            proc.terminate()
            proc.wait(5)


class WindowManager:
    """openbox on the tests' Xvfb: a real EWMH window manager, which names the
    active window and keeps its fullscreen state. Started only by tests that
    need it (fixture `window_manager`)."""

    def __init__(self, desktop: Desktop) -> None:
        self.env = {**os.environ, **desktop.env}
        self._procs: list[subprocess.Popen] = []

    def start(self) -> WindowManager:
        self._spawn(["openbox", "--sm-disable"])
        self.wait_for(lambda: "window id" in self.xprop("-root", "_NET_SUPPORTING_WM_CHECK"), "openbox")
        return self

    def open_window(self, title: str = "slides") -> str:
        """A window of an X client from Debian (xmessage), once it is the active one.
        One that never maps on a busy machine (seen once in CI) is started once more."""
        for tries_left in (1, 0):
            client = self._spawn(["xmessage", "-geometry", "400x300", "-title", title, title])
            try:
                self.wait_for(lambda: title in self.tool("wmctrl", "-l"), f"the window {title!r}", 10.0)
                break
            except RuntimeError:
                client.kill()
                if not tries_left:
                    raise
        self.tool("wmctrl", "-a", title)
        self.wait_for(lambda: self.active_window() != "0x0", "an active window")
        return self.active_window()

    def active_window(self) -> str:
        words = self.xprop("-root", "_NET_ACTIVE_WINDOW").split()
        return words[-1] if words and words[-1].startswith("0x") else "0x0"

    def fullscreen(self, on: bool) -> None:
        """What a presentation program does: the active window covers the screen."""
        self.tool("wmctrl", "-r", ":ACTIVE:", "-b", f"{'add' if on else 'remove'},fullscreen")
        self.wait_for(
            lambda: (
                ("_NET_WM_STATE_FULLSCREEN" in self.xprop("-id", self.active_window(), "_NET_WM_STATE")) == on
            ),
            "the fullscreen state",
        )

    def xprop(self, *args: str) -> str:
        return self.tool("xprop", *args)

    def tool(self, *args: str) -> str:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=10).stdout

    def wait_for(self, ready: Callable[[], bool], what: str, wait_s: float = 20.0) -> None:
        deadline = time.monotonic() + wait_s
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not come within {wait_s:g} s")
            time.sleep(0.02)

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
            proc.wait(5)


class StubService:
    """A D-Bus service of the test's own on the private bus, for what no real
    server here does (KDE's Inhibited, a screensaver): it owns `name`, answers
    `methods` at `path` (member -> (signature, body)), serves `properties` of
    `interface`, and emits signals. It runs on a thread of its own, which alone
    uses its connection."""

    def __init__(
        self,
        address: str,
        name: str,
        path: str,
        interface: str,
        methods: dict[str, tuple[str, tuple]] | None = None,
        properties: dict[str, tuple[str, Any]] | None = None,
    ) -> None:
        self.address, self.name, self.path, self.interface = address, name, path, interface
        self.methods = dict(methods or {})
        self.properties = dict(properties or {})
        self._outbox: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._ready = threading.Event()

    def start(self) -> StubService:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError(f"the stub {self.name} did not take its name")
        return self

    def set_property(self, prop: str, signature: str, value: Any) -> None:
        """Change a property and say so (PropertiesChanged), as a real server does."""
        self.properties[prop] = (signature, value)
        self.emit_on(
            "org.freedesktop.DBus.Properties",
            "PropertiesChanged",
            "sa{sv}as",
            (self.interface, {prop: (signature, value)}, []),
        )

    def emit(self, member: str, signature: str, body: tuple) -> None:
        self.emit_on(self.interface, member, signature, body)

    def emit_on(self, interface: str, member: str, signature: str, body: tuple) -> None:
        from jeepney import DBusAddress, new_signal

        self._outbox.put(new_signal(DBusAddress(self.path, interface=interface), member, signature, body))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _serve(self) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as conn:
            conn.send_and_get_reply(message_bus.RequestName(self.name), timeout=5)
            self._ready.set()
            while not self._stop.is_set():
                while not self._outbox.empty():
                    conn.send(self._outbox.get())
                try:
                    message = conn.receive(timeout=0.02)
                except TimeoutError:
                    continue
                reply = self._answer(message)
                if reply is not None:
                    conn.send(reply)

    def _answer(self, message: Any) -> Any:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        if message.header.message_type is not MessageType.method_call:
            return None
        fields = message.header.fields
        member, interface = fields.get(HeaderFields.member), fields.get(HeaderFields.interface)
        if fields.get(HeaderFields.path) != self.path:
            return new_error(message, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no such object",))
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            asked_interface, prop = message.body
            if asked_interface == self.interface and prop in self.properties:
                return new_method_return(message, "v", (self.properties[prop],))
            return new_error(message, "org.freedesktop.DBus.Error.UnknownProperty", "s", (f"no {prop}",))
        if member in self.methods:
            return new_method_return(message, *self.methods[member])
        return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member}",))


# dunst shows a notification's actions as a menu (its `dmenu` setting), opened
# by `dunstctl context`: a test presses a button by naming the line to pick.
PICK = """#!/bin/sh
# dunst's menu on stdin, kept whole in menu.txt; then the line of the action named in choice.txt
here=$(dirname "$0")
cat > "$here/menu.part" && mv "$here/menu.part" "$here/menu.txt"
grep -F ",$(cat "$here/choice.txt")]" "$here/menu.txt" | tail -n 1
"""


class Menu:
    """Presses an action through dunst's context menu, as a person would pick it."""

    def __init__(self, desktop: Desktop, folder: Path) -> None:
        self.desktop, self.folder = desktop, folder
        self.file = folder / "menu.txt"

    def offered(self) -> list[str]:
        """The menu's lines at the last press."""
        return self.file.read_text().splitlines()

    def press(self, key: str) -> list[str]:
        """Opens the menu once and picks `key`; the menu's lines. Opened again only
        when it never came, or came empty (dunst, just after a replacement)."""
        (self.folder / "choice.txt").write_text(key)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.file.unlink(missing_ok=True)
            subprocess.run(["dunstctl", "context"], env=self.desktop.env, check=True, timeout=10)
            opened = time.monotonic() + 2
            while not self.file.exists() and time.monotonic() < opened:
                time.sleep(0.02)
            lines = self.file.read_text().splitlines() if self.file.exists() else []
            if lines:
                return lines
            time.sleep(0.1)
        raise AssertionError(f"dunst's menu never opened with anything in it to press {key}")


# A notification server without the `actions` capability, in dunst's place:
# it logs each Notify call's body, one repr a line, and answers id 7.
NO_ACTIONS = """
import sys, time
from jeepney import HeaderFields, MessageType, new_method_return, new_signal, DBusAddress
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
bus, calls, press = sys.argv[1], sys.argv[2], sys.argv[3:] == ["press"]
conn = open_dbus_connection(bus=bus)
conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
me = DBusAddress("/org/freedesktop/Notifications", interface="org.freedesktop.Notifications")
print("ready", flush=True)
while True:
    message = conn.receive()
    if message.header.message_type != MessageType.method_call:
        continue
    member = message.header.fields[HeaderFields.member]
    if member == "GetCapabilities":
        conn.send(new_method_return(message, "as", (["body"],)))  # no "actions"
    elif member == "Notify":
        with open(calls, "a") as log:
            log.write(repr(message.body) + "\\n")
        conn.send(new_method_return(message, "u", (7,)))
        if not press:
            continue
        for id in (6, 8, 0):  # ids it never answered: presses on someone else's notification
            conn.send(new_signal(me, "ActionInvoked", "us", (id, "hide")))
        conn.send(new_signal(me, "ActionInvoked", "us", (7, "launch-missiles")))
        conn.send(new_signal(me, "ActionInvoked", "us", (7, "keep")))  # the one real press, last
"""


@contextlib.contextmanager
def server_without_actions(desktop: Desktop, folder: Path, press: bool = False) -> Iterator[Path]:
    """Stops dunst and serves in its place; yields the file of Notify calls. With
    `press`, each Notify is followed by presses: on ids it never gave (6, 8, 0),
    an unknown action, then Keep on id 7."""
    desktop.stop_server()
    (folder / "no_actions.py").write_text(NO_ACTIONS)
    calls = folder / "calls.txt"
    calls.touch()
    address = desktop.env["DBUS_SESSION_BUS_ADDRESS"]
    argv = [sys.executable, folder / "no_actions.py", address, calls, *(["press"] if press else [])]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        yield calls
    finally:
        server.kill()
        server.wait()


def lines_in(path: Path, count: int) -> list[str]:
    """The file's lines once it has `count` of them (waits up to 5 s)."""
    deadline = time.monotonic() + 5
    while len(path.read_text().splitlines()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.read_text().splitlines()


def with_menu(folder: Path) -> tuple[Desktop, Menu]:
    """A started desktop whose dunst hands its menu to the Menu presser."""
    menu = folder / "menu"
    menu.mkdir()
    (menu / "pick.sh").write_text(PICK)
    (menu / "pick.sh").chmod(0o755)
    session = Desktop(folder / "desktop", HARNESS_LOOK + f"    dmenu = {menu / 'pick.sh'}\n").start()
    return session, Menu(session, menu)
