"""A real, private desktop for tests: Xvfb, a session bus of our own, and dunst.

Nothing is auto-started on the bus, so when dunst is down, sending fails
loudly instead of reaching some other server; unless a test gives the bus a
folder of service files, as desktops that start their notification server on
demand do (D-Bus activation). Every notification dunst receives is appended
as one JSON line to `received.jsonl`, by dunst's own script hook.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

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
        if with_server:
            self.start_server()
        return self

    def dunst_command(self) -> list[str]:
        """dunst with a config that logs what it receives to `received.jsonl`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        logger = self.folder / "log-notification.py"
        logger.write_text(_LOGGER % self.received_file)
        logger.chmod(0o755)
        rc = self.folder / "dunstrc"
        rc.write_text(self.look + _LOG_RULE.format(script=logger))
        return ["/usr/bin/dunst", "-config", str(rc)]

    def start_server(self) -> None:
        env = {**os.environ, **self.env}
        self.dunst = subprocess.Popen(
            self.dunst_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.server_on_bus():
                return
            time.sleep(0.02)
        raise RuntimeError("dunst did not take org.freedesktop.Notifications within 10 s")

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
