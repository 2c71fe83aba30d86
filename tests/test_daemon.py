"""`kindnudge run` end to end: a real daemon process, a real dunst, real signals.

Wall-clock time is moved with libfaketime (monotonic time keeps running), so
"a nudge due in 2 s" and "the laptop slept for 2 h" take seconds, not hours.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import KINDNUDGE, run

UTC = timezone.utc


class Daemon:
    """One `kindnudge run` process and its log."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log = Path(os.environ["XDG_STATE_HOME"]) / "kindnudge" / "kindnudge.log"
        self.proc = subprocess.Popen(
            [KINDNUDGE, "run"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.wait_for("started")

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def wait_for(self, words: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if words in text:
                return text
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.proc.stderr.read()}")
            time.sleep(0.02)
        raise AssertionError(f"{words!r} not in the log:\n{self.log_text()}")

    def stop(self) -> float:
        """SIGTERM; returns how long the daemon took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(5) == 0, self.proc.stderr.read()
        return time.monotonic() - started


@pytest.fixture
def daemons():
    started: list[Daemon] = []

    def start(env: dict[str, str] | None = None) -> Daemon:
        started.append(Daemon(env or {}))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()


def next_minute(ahead: int = 2) -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


def history() -> list[dict]:
    return json.loads(run("history", "--json", "-n", "50").stdout)


def schedule(config_file: Path, *times: datetime, extra: str = "") -> None:
    rules = "".join(f"  - name: r{t:%H%M}\n    at: '{t:%H:%M}'\n" for t in times)
    config_file.write_text(f"timezone: UTC\nquiet_hours: []\n{extra}schedule:\n{rules}")


def test_a_rule_due_in_two_seconds_is_delivered_on_time(desktop, config_file, fake_clock, daemons):
    due = next_minute()
    offset = (due - timedelta(seconds=2) - datetime.now(UTC)).total_seconds()
    fake_clock.set(offset)
    schedule(config_file, due)
    daemon = daemons(fake_clock.env)
    (got,) = desktop.received(1, wait_s=6)
    received_real = time.time()
    lateness = received_real - (due.timestamp() - offset)
    assert got["appname"] == "kindnudge"
    assert -0.1 < lateness < 1.0, f"{lateness:.3f}s late"
    assert daemon.stop() < 1.0
    (entry,) = history()
    assert (entry["status"], entry["rule"], entry["due"]) == ("delivered", f"r{due:%H%M}", due.isoformat())
    assert entry["text"] == got["body"]


def test_a_two_hour_jump_delivers_exactly_one_catch_up(desktop, config_file, fake_clock, daemons):
    """Suspend for 2 h, with two nudges due meanwhile: one catch-up (the latest), one skipped."""
    first, second = next_minute(30), next_minute(90)
    schedule(config_file, first, second)
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    fake_clock.set(2 * 3600)
    daemon.wait_for("delivered")
    time.sleep(0.5)  # real time: give a wrong second delivery the chance to show up
    assert len(desktop.received(1)) == 1
    daemon.stop()
    entries = {e["due"]: e for e in history()}
    assert entries[second.isoformat()]["status"] == "delivered"
    assert entries[first.isoformat()]["status"] == "skipped"
    assert "only the latest" in entries[first.isoformat()]["reason"]
    assert "wall clock moved" in daemon.log_text()


def test_after_a_day_switched_off_one_nudge_not_five(desktop, config_file, fake_clock, daemons):
    """Start-up catch-up uses the last recorded moment, kept in SQLite."""
    schedule(config_file, next_minute(60))
    daemons(fake_clock.env).stop()  # records when it last looked
    times = [next_minute(60 * h) for h in (2, 8, 14, 20, 23)]
    schedule(config_file, *times)
    fake_clock.set(24 * 3600 - 30 * 60)
    daemon = daemons(fake_clock.env)
    time.sleep(0.3)
    assert len(desktop.received(1)) == 1
    daemon.stop()
    statuses = [e["status"] for e in history()]
    assert statuses.count("delivered") == 1 and statuses.count("skipped") == 4


def test_a_second_instance_is_refused(desktop, config_file, daemons):
    schedule(config_file, next_minute(60))
    first = daemons()
    second = run("run", timeout=10)
    assert second.returncode == 1
    assert f"kindnudge is already running (pid {first.proc.pid})" in second.stderr
    assert run("status", "--json").stdout.count(f'"pid": {first.proc.pid}') == 1
    first.stop()
    assert json.loads(run("status", "--json").stdout)["running"] is False


def test_sighup_with_a_broken_config_keeps_the_old_schedule(desktop, config_file, fake_clock, daemons):
    due = next_minute()
    offset = (due - timedelta(seconds=3) - datetime.now(UTC)).total_seconds()
    fake_clock.set(offset)
    schedule(config_file, due)
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "3600"})  # no file watch: SIGHUP alone
    config_file.write_text("schedule:\n  - at: '9:61'\n")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("keeping the previous schedule")
    notice, nudge = desktop.received(2, wait_s=6)
    assert notice["summary"] == "kindnudge: your config needs a look"
    assert f"{config_file}:2:9: '9:61' is not a time of day" in notice["body"]
    assert nudge["summary"] in ("A gentle reframe", "A moment for you")
    daemon.stop()
    assert [e["status"] for e in history()] == ["delivered"]


def test_saving_the_config_reloads_it(desktop, config_file, daemons):
    schedule(config_file, next_minute(60))
    daemon = daemons()
    later = next_minute(120)
    schedule(config_file, later)
    daemon.wait_for(f"config reloaded; next nudge {later.isoformat()}")
    daemon.stop()


def test_a_broken_config_at_start_is_one_line_and_exit_2(config_file):
    config_file.write_text("quiet_hours: [22:00]\n")
    result = run("run", timeout=10)
    assert result.returncode == 2
    expected = f"kindnudge: {config_file}:1:14: quiet_hours takes two times, start and end"
    assert result.stderr.splitlines()[-1].startswith(expected)
