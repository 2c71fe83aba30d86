"""Holding a nudge end to end: the real daemon, a real dunst paused with
`dunstctl set-paused true`, and `dbus-monitor` counting the Notify calls
(dunst queues what it gets while paused, so its own log can't tell).

The wall clock is moved with libfaketime; the re-check is injected short
(KINDNUDGE_RECHECK), as dunst 1.9 sends no signal for a pause by dunstctl.
Where the desktop does signal (a stub server's Inhibited, a stub screensaver's
ActiveChanged), the re-check is made too long to help: the signal alone must.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kindnudge import paths
from kindnudge.state import State

from conftest import run
from desktop import Desktop, StubService
from running import history, next_minute, schedule, started_before

UTC = timezone.utc
FAST = {"KINDNUDGE_RECHECK": "0.2", "KINDNUDGE_HEARTBEAT": "0.2"}
EVENTS_ONLY = {"KINDNUDGE_RECHECK": "60"}  # no re-check within a test: only the desktop's signal can help
NOTIFICATIONS = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")


class NotifyCalls:
    """`dbus-monitor` on the test's bus, counting Notify method calls."""

    def __init__(self, folder: Path) -> None:
        self.file = folder / "monitor.txt"
        with open(self.file, "w") as out:
            self.proc = subprocess.Popen(
                [
                    "dbus-monitor",
                    "--session",
                    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
                ],
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 5
        while "NameAcquired" not in self.file.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)  # it prints its own name once it listens

    def count(self) -> int:
        return self.file.read_text().count("member=Notify")

    def seen(self, at_least: int, wait_s: float = 5) -> int:
        """The count once it reaches `at_least` (dbus-monitor writes a moment
        after the bus passes the call on), or when `wait_s` is up."""
        deadline = time.monotonic() + wait_s
        while self.count() < at_least and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.count()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def notify_calls(desktop, tmp_path) -> Iterator[NotifyCalls]:
    calls = NotifyCalls(tmp_path)
    yield calls
    calls.stop()


def dunst_paused(paused: bool) -> None:
    subprocess.run(["dunstctl", "set-paused", str(paused).lower()], check=True, env=os.environ)


def nothing_held() -> bool:
    """What `status --json` says once a hold has ended."""
    return (
        "holding" not in run("status").stdout and json.loads(run("status", "--json").stdout)["held"] is None
    )


def test_a_nudge_due_during_do_not_disturb_is_shown_once_when_it_ends(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    due = next_minute()
    schedule(config_file, due)
    dunst_paused(True)
    daemon = started_before(due, fake_clock, daemons, FAST)
    daemon.wait_for("held")
    said = run("status").stdout.splitlines()
    assert f"holding the {due:%H:%M} nudge (r{due:%H%M}): Do Not Disturb is on (dunst is paused)" in said
    assert json.loads(run("status", "--json").stdout)["held"] == {
        "due": due.isoformat(),
        "rule": f"r{due:%H%M}",
        "kind": "any",
        "why": "Do Not Disturb is on (dunst is paused)",
    }
    daemon.wait_for("still holding the nudge for", times=3)  # re-checks while still paused
    assert notify_calls.count() == 0
    (held,) = history()
    assert (held["status"], held["reason"], held["text"]) == (
        "held",
        "held: Do Not Disturb is on (dunst is paused)",
        None,
    )
    dunst_paused(False)
    started = time.monotonic()
    daemon.wait_for("delivered", timeout=5)
    assert time.monotonic() - started < 2
    assert notify_calls.seen(1) == 1
    assert nothing_held()  # so no re-check is left that could show it twice
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())
    assert entry["reason"].startswith("shown after waiting ")
    assert entry["reason"].endswith(": Do Not Disturb was on (dunst is paused)")
    assert "(shown after waiting" in run("history").stdout
    daemon.stop()


def test_two_due_during_one_hold_show_one_and_skip_the_other(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    first = next_minute()
    second = first + timedelta(minutes=1)
    schedule(config_file, first, second)
    dunst_paused(True)
    daemon = started_before(first, fake_clock, daemons, FAST)
    daemon.wait_for("held")
    fake_clock.set((second - timedelta(seconds=1) - datetime.now(UTC)).total_seconds())
    daemon.wait_for("held", times=2)
    dunst_paused(False)
    daemon.wait_for("delivered")
    assert notify_calls.seen(1) == 1
    assert nothing_held()
    daemon.stop()
    entries = {e["due"]: e for e in history()}
    assert len(history()) == 2
    assert entries[second.isoformat()]["status"] == "delivered"
    assert (entries[first.isoformat()]["status"], entries[first.isoformat()]["reason"]) == (
        "skipped",
        "a later nudge took its place",
    )


def test_a_hold_longer_than_hold_for_is_skipped_with_the_reason(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    due = next_minute()
    schedule(config_file, due, extra="attention:\n  hold_for: 5m\n")
    dunst_paused(True)
    daemon = started_before(due, fake_clock, daemons, FAST)
    daemon.wait_for("held")
    fake_clock.set((due + timedelta(minutes=5, seconds=1) - datetime.now(UTC)).total_seconds())
    daemon.wait_for("skipped the nudge held")
    dunst_paused(False)
    assert nothing_held()  # no re-check is left that could show it after all
    assert notify_calls.count() == 0
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["reason"]) == (
        "skipped",
        "let go after waiting 5 min, as long as attention.hold_for allows:"
        " Do Not Disturb was on (dunst is paused)",
    )
    assert "holding" not in run("status").stdout


def test_now_shows_one_anyway_and_says_what_would_have_held_it(desktop, notify_calls, config_file, daemons):
    schedule(config_file, next_minute(60))
    dunst_paused(True)
    said = (
        "A scheduled nudge would wait now (Do Not Disturb is on (dunst is paused));"
        " showing this one because you asked"
        " (your desktop may keep it out of sight until Do Not Disturb ends)."
    )
    alone = run("now")
    assert alone.returncode == 0 and alone.stdout.splitlines()[0] == said
    daemon = daemons()
    handed = run("now")
    assert handed.returncode == 0 and handed.stdout.splitlines()[0] == said
    assert notify_calls.count() == 2
    dunst_paused(False)
    assert said not in run("now").stdout
    assert said not in run("now", "--dry-run").stdout
    daemon.stop()


def test_check_lists_the_bad_moments_this_desktop_can_tell(desktop, config_file):
    config_file.write_text("attention:\n  respect: [do-not-disturb]\n")
    assert "attention: do-not-disturb: dunst's paused state, a good moment now\n" in run("check").stdout
    dunst_paused(True)
    assert (
        "attention: do-not-disturb: dunst's paused state, a bad moment now:"
        " Do Not Disturb is on (dunst is paused)\n" in run("check").stdout
    )
    config_file.write_text("attention:\n  respect: []\n")
    assert "attention: off: nudges are never held (attention.respect is [])\n" in run("check").stdout


def test_check_says_what_a_desktop_without_these_sources_cannot_tell(config_file):
    config_file.write_text("attention:\n  respect: [do-not-disturb, locked]\n")
    result = run("check")  # no session bus at all: no backend either, so exit status 1
    assert (
        "attention: this desktop can't tell kindnudge of Do Not Disturb, a locked screen,"
        " so nudges come as usual then\n"
    ) in result.stdout
    assert result.returncode == 1


def test_a_daemon_restarted_while_one_is_held_shows_it_once_the_moment_clears(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    due = next_minute()
    schedule(config_file, due)
    dunst_paused(True)
    first = started_before(due, fake_clock, daemons, FAST)
    first.wait_for("held")
    first.stop()
    second = daemons({**fake_clock.env, **FAST})
    dunst_paused(False)
    second.wait_for("delivered")
    assert notify_calls.seen(1) == 1
    assert nothing_held()
    second.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())


def test_now_while_one_is_held_shows_one_and_the_held_one_does_not_follow(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    due = next_minute()
    schedule(config_file, due)
    dunst_paused(True)
    daemon = started_before(due, fake_clock, daemons, FAST)
    daemon.wait_for("held")
    asked = run("now")
    assert asked.returncode == 0, asked.stderr
    assert f"The {due:%H:%M} nudge that was waiting for a better moment won't come." in asked.stdout
    said = daemon.wait_for("asked for by `kindnudge now`")  # handed over: the daemon showed it
    assert f"skipped the nudge held for {due.isoformat()}, rule r{due:%H%M}: you asked for one" in said
    assert notify_calls.seen(1) == 1
    now_row, held_row = history()
    assert (now_row["status"], now_row["due"]) == ("delivered", None)
    asked_at = datetime.fromisoformat(now_row["at"])
    assert (held_row["status"], held_row["due"], held_row["reason"]) == (
        "skipped",
        due.isoformat(),
        f"you asked for one with kindnudge now at {asked_at.astimezone(UTC):%H:%M}",
    )
    assert nothing_held()
    dunst_paused(False)
    assert notify_calls.count() == 1 and len(history()) == 2
    daemon.stop()


# -- by the desktop's own signal, with no re-check to fall back on ------------------------


class NotificationServer(StubService):
    """A notification server that keeps KDE's `Inhibited` property and says
    when it flips; it counts the Notify calls it answers."""

    def __init__(self, address: str, inhibited: bool) -> None:
        methods = {
            "Notify": ("u", (7,)),
            "GetCapabilities": ("as", (["body"],)),
            "GetServerInformation": ("ssss", ("stub", "kindnudge tests", "1", "1.2")),
        }
        super().__init__(address, *NOTIFICATIONS, NOTIFICATIONS[0], methods, {"Inhibited": ("b", inhibited)})
        self.notified = 0

    def _answer(self, message):
        from jeepney import HeaderFields

        if message.header.fields.get(HeaderFields.member) == "Notify":
            self.notified += 1
        return super()._answer(message)


@pytest.fixture
def bare_desktop(tmp_path, monkeypatch) -> Iterator[Desktop]:
    """Xvfb and the private bus, with no notification server: a stub takes its place."""
    session = Desktop(tmp_path / "desktop").start(with_server=False)
    for key, value in session.env.items():
        monkeypatch.setenv(key, value)
    yield session
    session.stop()


def seconds_until_shown(daemon) -> float:
    started = time.monotonic()
    daemon.wait_for("delivered", timeout=5)
    return time.monotonic() - started


def test_a_server_that_signals_inhibited_off_gets_the_held_nudge_at_once(
    bare_desktop, config_file, fake_clock, daemons
):
    server = NotificationServer(bare_desktop.env["DBUS_SESSION_BUS_ADDRESS"], inhibited=True).start()
    try:
        due = next_minute()
        schedule(config_file, due)
        daemon = started_before(due, fake_clock, daemons, EVENTS_ONLY)
        daemon.wait_for("held")
        assert server.notified == 0
        assert history()[0]["reason"] == "held: Do Not Disturb is on"
        server.set_property("Inhibited", "b", False)  # PropertiesChanged, as KDE sends it
        assert seconds_until_shown(daemon) < 2
        assert "the desktop changed while a nudge is held" in daemon.log_text()
        assert server.notified == 1 and nothing_held()
        (entry,) = history()
        assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())
        assert entry["reason"].endswith(": Do Not Disturb was on")
        daemon.stop()
    finally:
        server.stop()


def test_unlocking_the_screen_gets_the_held_nudge_at_once(
    desktop, notify_calls, config_file, fake_clock, daemons
):
    saver = StubService(
        desktop.env["DBUS_SESSION_BUS_ADDRESS"],
        "org.freedesktop.ScreenSaver",
        "/org/freedesktop/ScreenSaver",
        "org.freedesktop.ScreenSaver",
        methods={"GetActive": ("b", (True,)), "GetSessionIdleTime": ("u", (0,))},
    ).start()
    try:
        due = next_minute()
        schedule(config_file, due)
        daemon = started_before(due, fake_clock, daemons, EVENTS_ONLY)
        daemon.wait_for("held")
        assert history()[0]["reason"] == "held: the screen is locked"
        assert notify_calls.count() == 0
        saver.methods["GetActive"] = ("b", (False,))
        saver.emit("ActiveChanged", "b", (False,))
        assert seconds_until_shown(daemon) < 2
        assert notify_calls.seen(1) == 1 and nothing_held()
        (entry,) = history()
        assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())
        assert entry["reason"].endswith(": the screen was locked")
        daemon.stop()
    finally:
        saver.stop()


@pytest.mark.parametrize(
    ("bus", "said"),
    [
        (None, "no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set)"),
        ("missing", "cannot reach the session bus at unix:path="),  # a session not up yet
    ],
)
def test_with_no_desktop_reachable_at_the_start_nothing_is_held_and_the_nudge_fails_as_usual(
    config_file, fake_clock, daemons, tmp_path, bus, said
):
    env = {**fake_clock.env}
    if bus:
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'runtime' / 'bus'}"
    due = next_minute()
    schedule(config_file, due, extra="notification:\n  backend: dbus\n")
    fake_clock.set((due - timedelta(minutes=1) - datetime.now(UTC)).total_seconds())
    daemons(env).stop()  # it saw the time before the slot
    fake_clock.set((due + timedelta(seconds=5) - datetime.now(UTC)).total_seconds())
    daemon = daemons(env)  # the slot is caught up at the start, before "started"
    log = daemon.log.read_text()
    assert "delivery failed" in log and "held" not in log
    assert nothing_held()
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("failed", due.isoformat())
    assert entry["reason"].startswith(said)
    with State(paths.state_db()) as state:
        assert state.seen(entry["kind"]) == set()  # it still comes, as any failed one
    daemon.stop()
