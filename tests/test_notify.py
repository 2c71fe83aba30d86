"""Delivery you can trust: each backend against a real server (or a faithful
stand-in), exact text, and loud failure."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from random import Random
from typing import ClassVar

import pytest

from kindnudge import paths
from kindnudge.config import load_config
from kindnudge.errors import DeliveryError
from kindnudge.library import load_all
from kindnudge.notify import Chain, Notification, backend
from kindnudge.notify.windows import fit
from kindnudge.nudge import claim, deliver
from kindnudge.state import State

from conftest import run

WJ = "\u2060"
TRICKY = [  # (as written, as the body goes over the wire to a server that reads markup)
    ("- starts with a dash", "- starts with a dash"),
    ('Don\'t "quote" me', 'Don\'t "quote" me'),
    ("You & me < them > all", "You &amp; me &lt; them &gt; all"),
    ("Breathe 🌿💜", "Breathe 🌿💜"),
    ("שלום, you are enough", "שלום, you are enough"),
    ("<b>not bold</b> &amp;", "&lt;b&gt;not bold&lt;/b&gt; &amp;amp;"),
    (r"C:\new\table", r"C:\new\table"),  # notify-send reads escapes such as \n in a body
    (r"a \\ b", r"a \\ b"),
    (r"- \101 \x", r"- \101 \x"),
    ("ends with \\", "ends with \\"),
]


@pytest.mark.parametrize("name", ["dbus", "plyer"])
def test_each_linux_path_reaches_dunst_as_kindnudge(desktop, config_file, name):
    config_file.write_text(f"notification:\n  backend: {name}\n  timeout: 7s\n  urgency: low\n")
    result = run("now")
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    assert got["appname"] == "kindnudge"
    assert got["icon"] == str(paths.icon_file()) and Path(got["icon"]).is_file()
    assert (got["timeout"], got["urgency"]) == ("7000", "LOW")
    assert json.loads(run("history", "--json").stdout)[0]["reason"] == f"by {name}"


def system_dbus_python(folder: Path) -> Path:
    """Debian's dbus-python for this interpreter, without the rest of dist-packages."""
    dist = Path("/usr/lib/python3/dist-packages")
    binding = dist / f"_dbus_bindings{EXTENSION_SUFFIXES[0]}"
    if not (dist / "dbus").is_dir() or not binding.exists():
        pytest.skip("dbus-python for this Python is not installed (apt-get install python3-dbus)")
    folder.mkdir()
    for item in (dist / "dbus", binding):
        (folder / item.name).symlink_to(item)
    return folder


def test_plyer_through_dbus_python_sends_the_urgency(desktop, config_file, tmp_path):
    config_file.write_text("notification:\n  backend: plyer\n  timeout: 7s\n  urgency: low\n")
    env = {"PYTHONPATH": str(system_dbus_python(tmp_path / "dbus-python"))}
    assert "backend: plyer via dbus-python;" in run("check", env=env).stdout
    result = run("now", env=env)
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    assert (got["timeout"], got["urgency"]) == ("7000", "LOW")


@pytest.mark.parametrize(("text", "wire"), TRICKY, ids=[t for t, _ in TRICKY])
@pytest.mark.parametrize("name", ["dbus", "plyer"])
def test_tricky_text_arrives_exactly(desktop, name, text, wire):
    backend(name).send(Notification(text, text, timedelta(seconds=5)))
    (got,) = desktop.received(1)
    if name == "plyer":  # notify-send would read a leading "-" as an option
        text = WJ + text if text.startswith("-") else text
        wire = WJ + wire if wire.startswith("-") else wire
    assert got["summary"] == text  # the summary is plain text by the spec
    assert got["body"] == wire  # escaped: dunst reads body markup


STUB_SERVER = """
import sys
from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
ANSWERS = {  # like ukui-notification-daemon, which shows it and answers id 0
    "GetCapabilities": ("as", (["body"],)),
    "GetServerInformation": ("ssss", ("stub", "kindnudge tests", "1", "1.2")),
    "Notify": ("u", (0,)),
}
bus, mode, calls = sys.argv[1:]
conn = open_dbus_connection(bus=bus)
conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
print("ready", flush=True)
while True:
    message = conn.receive()
    if message.header.message_type != MessageType.method_call:
        continue
    member = message.header.fields[HeaderFields.member]
    with open(calls, "a") as log:
        log.write(member + "\\n")
    if mode == "refuse":
        conn.send(new_error(message, "org.freedesktop.DBus.Error.Failed", "s", ("the stub refuses",)))
    elif mode == "zero" and member in ANSWERS:
        conn.send(new_method_return(message, *ANSWERS[member]))
"""


@pytest.fixture
def stub_server(desktop, tmp_path):
    """Something that owns the notification bus name but misbehaves; `start`
    answers a function listing the methods called on it so far."""
    desktop.stop_server()
    started = []

    def start(mode: str):
        script, calls = tmp_path / "stub.py", tmp_path / "calls.txt"
        script.write_text(STUB_SERVER)
        proc = subprocess.Popen(
            [sys.executable, script, desktop.env["DBUS_SESSION_BUS_ADDRESS"], mode, calls],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return lambda: calls.read_text().split() if calls.exists() else []

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_server_that_never_answers_fails_within_bounds(stub_server):
    stub_server("hang")
    began = time.monotonic()
    result = run("now")
    elapsed = time.monotonic() - began
    assert result.returncode == 1
    assert result.stderr == (
        "kindnudge: the notification service did not answer within 3s; tried dbus and plyer\n"
    )
    assert elapsed < 10


def test_a_server_that_refuses_is_reported(stub_server):
    stub_server("refuse")
    result = run("now", "--kind", "reframe")
    assert result.returncode == 1
    assert "refused: org.freedesktop.DBus.Error.Failed: the stub refuses" in result.stderr
    assert json.loads(run("status", "--json").stdout)["last_error"]["status"] == "failed"


@pytest.mark.parametrize("name", ["auto", "dbus"])
def test_a_server_answering_id_0_has_shown_it_once(stub_server, config_file, name):
    config_file.write_text(f"notification:\n  backend: {name}\n")
    calls = stub_server("zero")
    result = run("now", "--kind", "reframe")
    assert (result.returncode, result.stderr) == (0, "")
    assert calls().count("Notify") == 1, "a fallback after a reply shows the nudge twice"
    (entry,) = json.loads(run("history", "--json").stdout)
    assert (entry["status"], entry["reason"]) == ("delivered", "by dbus")
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == {entry["id"]}


class Fake:
    def __init__(self, name: str, fail: str | None = None) -> None:
        self.name, self.fail, self.sent = name, fail, []

    def send(self, notification) -> None:
        if self.fail:
            raise DeliveryError(self.fail)
        self.sent.append(notification)

    def describe(self) -> str:
        return f"{self.name}: fake"


def test_a_failing_backend_is_recorded_and_the_next_one_delivers(home):
    config = load_config(home / "none.yaml", required=False)
    library = load_all(paths.builtin_packs_dir(), [])
    first, second = Fake("dbus", "the server hung"), Fake("plyer")
    now = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    with State(paths.state_db()) as state:
        with state.transaction():
            claimed = claim(library, config, ["reframe"], state, now, Random(1), "morning")
        result = deliver(claimed, config, Chain([first, second]), state)
        delivered, failed = state.history(2)
        assert state.seen("reframe") == {result.message.id}
    assert result.error is None and len(second.sent) == 1
    assert (failed.status, failed.reason) == ("failed", "dbus: the server hung")
    assert (delivered.status, delivered.reason) == ("delivered", "by plyer")


def test_check_says_which_backend_and_why(desktop):
    assert "backend: dbus: org.freedesktop.Notifications, served by dunst" in run("check").stdout
    desktop.stop_server()
    result = run("check")
    assert result.returncode == 1, "the status `now` ends with: nothing could show one"
    assert ": ok\nmessages: " in result.stdout and "\nbackend: " not in result.stdout
    assert result.stderr.startswith(
        "kindnudge: backend auto: nothing can show a notification right now: no backend can deliver: "
    )
    assert "dbus unavailable (no notification service" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 64, "short"),
        ("a" * 70, 64, "a" * 63 + "\u2026"),
        ("💜" * 40, 64, "💜" * 31 + "\u2026"),  # each emoji is two UTF-16 units
        ("word " * 60, 256, ("word " * 51).rstrip() + "\u2026"),
    ],
)
def test_windows_balloon_text_is_fitted(text, limit, expected):
    assert fit(text, limit) == expected
    assert len(fit(text, limit).encode("utf-16-le")) // 2 <= limit


def test_osascript_gets_title_and_text_as_arguments(tmp_path, monkeypatch):
    """macOS isn't here; a stand-in osascript records exactly what it was given."""
    record = tmp_path / "argv.json"
    fake = tmp_path / "osascript"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    backend("osascript").send(Notification('He said "go" \\ & left', "Don't stop", timedelta(seconds=5)))
    argv = json.loads(record.read_text())
    assert argv[-2:] == ['He said "go" \\ & left', "Don't stop"]
    assert "display notification (item 2 of argv) with title (item 1 of argv)" in argv
    fake.write_text("#!/bin/sh\necho 'execution error: not allowed' >&2\nexit 1\n")
    with pytest.raises(DeliveryError, match="osascript failed: execution error: not allowed"):
        backend("osascript").send(Notification("t", "b", timedelta(seconds=5)))


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    pytest.importorskip("apprise")
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/", Receiver.received
    server.shutdown()


def test_push_instead_of_the_desktop(config_file, receiver):
    url, received = receiver
    config_file.write_text(f"push:\n  urls: ['{url}']\n  mode: instead\n")
    result = run("now", "--kind", "self-care")
    assert result.returncode == 0, result.stderr
    (payload,) = received
    title, text, _ = result.stdout.split("\n")
    assert (payload["title"], payload["message"]) == (title, text)


def test_push_alongside_the_desktop(desktop, config_file, receiver):
    url, received = receiver
    config_file.write_text(f"push:\n  urls: ['{url}']\n")
    assert run("now").returncode == 0
    (got,) = desktop.received(1)
    (payload,) = received
    assert payload["message"] == got["body"]
    assert json.loads(run("history", "--json").stdout)[0]["reason"] == "by dbus and push"


def test_push_alone_failing_is_a_failure(config_file):
    config_file.write_text("push:\n  urls: ['json://127.0.0.1:9/']\n  mode: instead\n")
    result = run("now")
    assert result.returncode == 1
    assert "Apprise could not deliver" in result.stderr


class Raising:
    """A backend whose library throws something no one planned for."""

    name = "dbus"

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def send(self, notification) -> None:
        raise self.error


def claimed_reframe(home, state):
    config = load_config(home / "none.yaml", required=False)
    library = load_all(paths.builtin_packs_dir(), [])
    with state.transaction():
        claimed = claim(library, config, ["reframe"], state, datetime.now(timezone.utc), Random(1), "r")
    return config, claimed


def test_anything_a_notifier_raises_settles_the_row_failed_and_the_message_stays_unseen(home):
    with State(paths.state_db()) as state:
        config, claimed = claimed_reframe(home, state)
        result = deliver(claimed, config, Raising(RuntimeError("the library broke")), state)
        (entry,) = state.history(5)
        assert state.seen("reframe") == set()
    assert result.error is not None
    assert (entry.status, entry.message_id) == ("failed", claimed.message.id)
    assert entry.reason == "unexpected RuntimeError: the library broke (please report this)"


@pytest.mark.parametrize(
    "error",
    [RuntimeError("x"), OSError(5, "I/O error"), ValueError("x"), struct.error("x"), OverflowError("x")],
    ids=lambda e: type(e).__name__,
)
def test_a_backend_raising_anything_lets_the_next_one_deliver(home, error):
    second = Fake("plyer")
    with State(paths.state_db()) as state:
        config, claimed = claimed_reframe(home, state)
        result = deliver(claimed, config, Chain([Raising(error), second]), state)
        delivered, failed = state.history(2)
    assert result.error is None and len(second.sent) == 1
    assert failed.status == "failed" and failed.reason.startswith(
        f"dbus: unexpected {type(error).__name__}: "
    )
    assert (delivered.status, delivered.reason) == ("delivered", "by plyer")


def test_ctrl_c_while_showing_settles_the_row_interrupted(home):
    with State(paths.state_db()) as state:
        config, claimed = claimed_reframe(home, state)
        with pytest.raises(KeyboardInterrupt):
            deliver(claimed, config, Raising(KeyboardInterrupt()), state)
        (entry,) = state.history(5)
    assert entry.status == "interrupted"


@pytest.fixture
def refusing_socket(tmp_path):
    """A unix socket that exists but accepts nobody: connecting is refused."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "bus"))
    yield tmp_path / "bus"
    sock.close()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("tcp:host=127.0.0.1,port=1", "kindnudge can only use a unix: socket address"),
        ("unix:path={socket}", "connection refused"),
        ("unix:path={folder}/nothing-here", "no such file or directory"),
        ("garbage", "not a D-Bus address (one reads e.g. unix:path=/run/user/1000/bus)"),
    ],
)
def test_now_with_a_bad_bus_address_says_why_and_keeps_the_message(refusing_socket, address, why):
    address = address.format(socket=refusing_socket, folder=refusing_socket.parent)
    result = run("now", "--kind", "reframe", env={"DBUS_SESSION_BUS_ADDRESS": address})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"kindnudge: cannot reach the session bus at {address}: {why};"
        " check DBUS_SESSION_BUS_ADDRESS; tried dbus and plyer\n"
    )
    with State(paths.state_db()) as state:
        (entry,) = state.history(5)
        assert state.seen("reframe") == set()
    assert entry.status == "failed" and entry.reason == result.stderr.removeprefix("kindnudge: ").strip()


def test_a_timeout_past_the_int32_is_capped_not_sent(desktop):
    """D-Bus carries the timeout as an int32 of milliseconds; 25 days is more."""
    backend("dbus").send(Notification("t", "b", timedelta(days=25)))
    (got,) = desktop.received(1)
    assert got["timeout"] == str(2**31 - 1)
