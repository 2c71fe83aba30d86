"""Delivery you can trust: each backend against a real server (or a faithful
stand-in), exact text, and loud failure."""

from __future__ import annotations

import itertools
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import types
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
from kindnudge.library import Library, Message, load_all
from kindnudge.notify import Chain, Notification, Unreachable, backend, choose
from kindnudge.notify.windows import fit
from kindnudge.nudge import claim, deliver
from kindnudge.state import HistoryEntry, State

from conftest import run
from running import history, next_minute, schedule, started_before

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
    if mode == "refuse" or (mode == "error" and member == "Notify"):
        conn.send(new_error(message, "org.freedesktop.DBus.Error.Failed", "s", ("the stub refuses",)))
    elif mode == "mute" or (mode == "hang" and member == "Notify"):
        continue
    elif member in ANSWERS:
        conn.send(new_method_return(message, *ANSWERS[member]))
"""


@pytest.fixture
def stub_server(desktop, tmp_path):
    """Something that owns the notification bus name but misbehaves: `zero`
    answers Notify with id 0, `error` refuses it and `hang` never answers it
    (both answer everything else), `refuse` refuses and `mute` ignores every
    call. `start` answers a function listing the methods called on it so far."""
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


@pytest.mark.reliability  # waits out the 3 s call limit
def test_a_server_that_never_answers_fails_within_bounds(stub_server):
    stub_server("mute")
    began = time.monotonic()
    result = run("now")
    elapsed = time.monotonic() - began
    assert result.returncode == 1
    assert result.stderr == "kindnudge: the notification service did not answer within 3s; tried dbus\n"
    assert elapsed < 5


REFUSED = "the notification service refused: org.freedesktop.DBus.Error.Failed: the stub refuses"
NOTIFY_FAILS = {  # (stub mode, backend): what `now` says, having tried that route only
    ("error", "auto"): f"{REFUSED}; tried dbus",
    ("hang", "auto"): "the notification service did not answer within 3s; tried dbus",
    ("error", "plyer"): "notify-send failed: GDBus.Error:org.freedesktop.DBus.Error.Failed: the stub refuses"
    "; tried plyer",
    ("hang", "plyer"): "the notification service did not answer notify-send within 3s; tried plyer",
}


SLOW = pytest.mark.reliability  # a silent service is waited for 3 s


@pytest.mark.parametrize(
    ("mode", "name"),
    [pytest.param(mode, name, marks=[SLOW] if mode == "hang" else []) for mode, name in NOTIFY_FAILS],
    ids="-".join,
)
def test_a_service_that_refuses_or_ignores_notify_fails_once_and_keeps_the_message(
    stub_server, config_file, mode, name
):
    """Once a service was reached, another route to it proves nothing: no fallback."""
    config_file.write_text(f"notification:\n  backend: {name}\n")
    calls = stub_server(mode)
    began = time.monotonic()
    result = run("now", "--kind", "reframe")
    elapsed = time.monotonic() - began
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"kindnudge: {NOTIFY_FAILS[mode, name]}\n"
    assert elapsed < 5, "every call gives up after 3 s"
    assert calls().count("Notify") == 1, "a second route to the same service"
    (entry,) = json.loads(run("history", "--json").stdout)
    assert (entry["status"], entry["reason"]) == ("failed", NOTIFY_FAILS[mode, name])
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == set()


@pytest.mark.reliability  # waits out the 3 s limit
def test_plyer_through_dbus_python_gives_up_on_a_silent_service_within_bounds(
    stub_server, config_file, tmp_path
):
    """dbus-python alone would wait 25 s for the reply."""
    config_file.write_text("notification:\n  backend: plyer\n")
    stub_server("hang")
    began = time.monotonic()
    result = run("now", env={"PYTHONPATH": str(system_dbus_python(tmp_path / "dbus-python"))})
    assert time.monotonic() - began < 5
    assert (result.returncode, result.stderr) == (
        1,
        "kindnudge: plyer did not finish within 3s; tried plyer\n",
    )


@pytest.mark.parametrize("mode", ["error", pytest.param("hang", marks=SLOW)])
def test_a_daemon_firing_a_service_fails_leaves_one_failed_row(
    stub_server, config_file, fake_clock, daemons, mode
):
    calls = stub_server(mode)
    due = next_minute()
    schedule(config_file, due)
    daemon = started_before(due, fake_clock, daemons)
    daemon.wait_for("delivery failed")
    assert daemon.stop() < 1.0
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("failed", due.isoformat())
    assert entry["reason"] == NOTIFY_FAILS[mode, "auto"]
    assert calls().count("Notify") == 1
    noise = [line for line in daemon.stderr.read_text().splitlines() if not line.startswith("20")]
    assert noise == [], "only the daemon's own log lines"
    with State(paths.state_db()) as state:
        assert state.seen(entry["kind"]) == set()


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
    assert result.returncode == 0
    assert result.stderr.startswith("Shown without buttons") and result.stderr.count("\n") == 1, "no error"
    assert calls().count("Notify") == 1, "a fallback after a reply shows the nudge twice"
    (entry,) = json.loads(run("history", "--json").stdout)
    assert (entry["status"], entry["reason"]) == ("delivered", "by dbus")
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == {entry["id"]}


class Fake:
    def __init__(self, name: str, fail: DeliveryError | None = None) -> None:
        self.name, self.fail, self.sent = name, fail, []

    def send(self, notification) -> None:
        if self.fail:
            raise self.fail
        self.sent.append(notification)

    def describe(self) -> str:
        return f"{self.name}: fake"


def slot_rows(home, notifier) -> tuple:
    """Deliver one claimed slot through `notifier`: its result, its history rows, the kind's seen ids."""
    config = load_config(home / "none.yaml", required=False)
    library = load_all(paths.builtin_packs_dir(), [])
    now = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    with State(paths.state_db()) as state:
        with state.transaction():
            claimed = claim(library, config, ["reframe"], state, now, Random(1), "morning", now)
        result = deliver(claimed, config, notifier, state)
        return result, state.history(5), state.seen("reframe")


def test_a_backend_that_reaches_no_service_lets_the_next_deliver_in_the_same_row(home):
    last = Fake("plyer")
    unreachable = [Fake("dbus", Unreachable("no bus")), Fake("osascript", Unreachable("not a Mac"))]
    result, rows, seen = slot_rows(home, Chain([*unreachable, last]))
    assert result.error is None and len(last.sent) == 1 and seen == {result.message.id}
    (entry,) = rows
    assert (entry.status, entry.reason) == ("delivered", "by plyer after dbus: no bus; osascript: not a Mac")
    assert (entry.rule, entry.due) == ("morning", datetime(2026, 6, 1, 9, tzinfo=timezone.utc))


def test_a_service_that_failed_is_not_tried_again_by_another_route(home):
    second = Fake("plyer")
    result, rows, seen = slot_rows(home, Chain([Fake("dbus", DeliveryError("it refused")), second]))
    assert str(result.error) == "it refused; tried dbus" and second.sent == [] and seen == set()
    (entry,) = rows
    assert (entry.status, entry.reason) == ("failed", "it refused; tried dbus")


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


@pytest.mark.parametrize(
    ("platform", "order"),
    [("darwin", ["osascript", "plyer"]), ("win32", ["windows"]), ("linux", ["dbus", "plyer"]),
     ("freebsd14", ["plyer"])],
)  # fmt: skip
def test_auto_first_tries_what_the_system_can_prove(monkeypatch, platform, order):
    monkeypatch.setattr(sys, "platform", platform)
    assert [b.name for b in choose("auto").backends] == order


class Balloon(types.ModuleType):
    """Stands in for plyer (`from plyer import notification`): records each call,
    or raises what plyer's Windows code raises."""

    def __init__(self, fail: Exception | None = None) -> None:
        super().__init__("plyer")
        self.notification, self.calls, self.fail = self, [], fail

    def notify(self, **kwargs) -> None:
        if self.fail:
            raise self.fail
        self.calls.append(kwargs)


def test_the_windows_balloon_gets_an_ico_fitted_text_and_a_timeout_it_can_show(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "plyer", balloon := Balloon())
    windows = backend("windows")
    windows.send(Notification("a" * 70, "Rest.", timedelta(seconds=20), icon="C:/kn/icons/kindnudge.png"))
    windows.send(Notification("Title", "Rest.", timedelta(0)))  # the balloon has no "until dismissed"
    first, second = balloon.calls
    assert first == {"title": "a" * 63 + "\u2026", "message": "Rest.", "app_name": "kindnudge",
                     "app_icon": "C:/kn/icons/kindnudge.ico", "timeout": 20}  # fmt: skip
    assert (second["app_icon"], second["timeout"]) == ("", 10)  # plyer's own default


def test_a_windows_balloon_failure_is_one_delivery_error(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "plyer", Balloon(ValueError("string too long")))
    with pytest.raises(DeliveryError, match=r"^the Windows balloon failed: ValueError\('string too long'\)$"):
        backend("windows").send(Notification("Title", "Rest.", timedelta(seconds=20)))


@pytest.mark.parametrize(("name", "system"), [("windows", "Windows"), ("osascript", "macOS")])
def test_a_backend_for_another_system_says_so_in_one_line(config_file, name, system):
    """plyer would quietly take this system's own route, warn on stderr, and "deliver"."""
    config_file.write_text(f"notification:\n  backend: {name}\n")
    why = f"the {name} backend works only on {system}; set notification.backend to auto"
    result = run("now", "--kind", "reframe")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"kindnudge: {why}; tried {name}\n")
    assert json.loads(run("history", "--json").stdout)[0]["status"] == "failed"
    check = run("check")
    assert check.returncode == 1 and "\nbackend: " not in check.stdout
    assert check.stderr == (
        f"kindnudge: backend {name}: nothing can show a notification right now:"
        f" no backend can deliver: {name} unavailable ({why})\n"
    )


def test_osascript_gets_title_and_text_as_arguments(tmp_path, monkeypatch):
    """macOS isn't here; a stand-in osascript records exactly what it was given."""
    monkeypatch.setattr(sys, "platform", "darwin")
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


def test_anything_a_notifier_raises_settles_the_row_failed_and_the_message_stays_unseen(home, caplog):
    with State(paths.state_db()) as state:
        config, claimed = claimed_reframe(home, state)
        result = deliver(claimed, config, Raising(RuntimeError("the library broke")), state)
        (entry,) = state.history(5)
        assert state.seen("reframe") == set()
    assert result.error is not None
    assert (entry.status, entry.message_id) == ("failed", claimed.message.id)
    assert entry.reason == "unexpected RuntimeError: the library broke (please report this)"
    assert f"showing {claimed.message.id} raised something unexpected" in caplog.messages  # and a traceback


@pytest.mark.parametrize(
    "error",
    [RuntimeError("x"), OSError(5, "I/O error"), ValueError("x"), struct.error("x"), OverflowError("x")],
    ids=lambda e: type(e).__name__,
)
def test_a_backend_raising_anything_settles_one_row_failed(home, error):
    """It may have reached a service first, so no other route is tried."""
    second = Fake("plyer")
    result, rows, seen = slot_rows(home, Chain([Raising(error), second]))
    assert result.error is not None and second.sent == [] and seen == set()
    (entry,) = rows
    assert entry.status == "failed" and entry.reason.startswith(f"unexpected {type(error).__name__}: ")


def test_ctrl_c_while_showing_settles_the_row_interrupted(home):
    """Its own row only: another kindnudge (a `now` beside the daemon) may be showing one too."""
    with State(paths.state_db()) as state:
        config, claimed = claimed_reframe(home, state)
        with state.transaction():
            other = HistoryEntry(datetime.now(timezone.utc), None, "self-care", "x", "x", "sending", None)
            state.record(other)
        with pytest.raises(KeyboardInterrupt):
            deliver(claimed, config, Raising(KeyboardInterrupt()), state)
        entry, beside = state.history(5)[1], state.history(5)[0]
    assert (entry.status, entry.reason) == (
        "interrupted",
        "kindnudge stopped while showing this; it may have appeared",
    )
    assert beside.status == "sending"


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


def test_sigterm_while_a_silent_service_holds_a_nudge_stops_at_once_and_says_interrupted(
    stub_server, config_file, fake_clock, daemons
):
    """The nudge is claimed before it is shown; a stop in between leaves it
    interrupted (it may have appeared), never `sending`."""
    stub_server("hang")
    due = next_minute()
    schedule(config_file, due)
    daemon = started_before(due, fake_clock, daemons)
    deadline = time.monotonic() + 10
    while not [e for e in history() if e["status"] == "sending"]:
        assert time.monotonic() < deadline, daemon.log_text()
        time.sleep(0.05)
    assert daemon.stop() < 1.0
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("interrupted", due.isoformat())


def test_a_discreet_nudge_the_person_asked_to_see_comes_with_its_words_in_place(home):
    """As buttons.py's "another" does: in place of the one on screen, unveiled."""
    (home / "discreet.yaml").write_text("notification:\n  discreet: true\n")
    config = load_config(home / "discreet.yaml", required=True)
    screen = Fake("dbus")
    with State(paths.state_db()) as state:
        _, claimed = claimed_reframe(home, state)
        result = deliver(claimed, config, Chain([screen]), state, True, 7, reveal=True)
    (shown,) = screen.sent
    assert (shown.title, shown.body) == (config.title_for("reframe"), claimed.message.text)
    assert shown.replaces == 7 and not result.veiled


def test_each_message_comes_once_a_round_and_a_new_round_never_repeats_the_last(home):
    config = load_config(home / "none.yaml", required=False)
    mine = Library(tuple(Message(f"m{i}", "reframe", f"kind word {i}", None, "mine") for i in range(3)))
    now = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    rng, shown = Random(3), []
    with State(paths.state_db()) as state:
        for _ in range(5):  # rounds
            for k in range(3):
                with state.transaction():
                    claimed = claim(mine, config, ["reframe"], state, now, rng, "r")
                deliver(claimed, config, Chain([Fake("dbus")]), state)
                shown.append(claimed.message.id)
                assert state.seen("reframe") == set(shown[-k - 1 :])  # this round's so far
    rounds = [shown[i : i + 3] for i in range(0, 15, 3)]
    assert all(sorted(r) == ["m0", "m1", "m2"] for r in rounds)
    assert all(a[-1] != b[0] for a, b in itertools.pairwise(rounds))
