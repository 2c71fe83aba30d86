"""`kindnudge run` end to end: a real daemon process, a real dunst, real signals.

Wall-clock time is moved with libfaketime (monotonic time keeps running), so
"a nudge due in 2 s" and "the laptop slept for 2 h" take seconds, not hours.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from kindnudge import paths

from conftest import run
from running import history, next_minute, schedule

UTC = timezone.utc


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
    assert "only the latest missed one" in entries[first.isoformat()]["reason"]
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


def test_the_daemon_collects_garbage_though_commands_start_without(config_file, tmp_path):
    """`cli.entry` turns Python's cycle collector off for quick commands; a
    day-long daemon must turn it back on, or its memory would only grow."""
    schedule(config_file, next_minute(60))
    probe = """
import gc, os, signal, sys
from kindnudge import cli, daemon

def report_then_stop(self):
    print("collector", "on" if gc.isenabled() else "off", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    waiting(self)

waiting, daemon.Daemon._wait_for_signals = daemon.Daemon._wait_for_signals, report_then_stop
sys.argv = ["kindnudge", "run"]
cli.entry()
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=20, cwd=tmp_path
    )
    assert (result.returncode, result.stdout) == (0, "collector on\n"), result.stderr


def test_deleting_the_state_file_while_running_loses_no_slot(desktop, config_file, fake_clock, daemons):
    """The daemon opens its state per firing: a fresh file has no record of
    what was handled, so it goes on from the moment it last saved."""
    due = next_minute()
    fake_clock.set((due - timedelta(seconds=3) - datetime.now(UTC)).total_seconds())
    schedule(config_file, due)
    daemon = daemons(fake_clock.env)
    db = paths.state_db()
    for name in (db.name, f"{db.name}-wal", f"{db.name}-shm"):
        (db.parent / name).unlink(missing_ok=True)
    daemon.wait_for("delivered")
    (got,) = desktop.received(1)
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"], entry["text"]) == ("delivered", due.isoformat(), got["body"])


def test_a_state_file_damaged_while_running_is_repaired_told_once_and_nudges_go_on(
    desktop, config_file, fake_clock, daemons
):
    due = next_minute()
    fake_clock.set((due - timedelta(seconds=3) - datetime.now(UTC)).total_seconds())
    schedule(config_file, due)
    daemon = daemons(fake_clock.env)
    paths.state_db().write_bytes(b"\0junk" * 4000)
    daemon.wait_for("delivered")
    notice, nudge = desktop.received(2)
    assert notice["summary"] == "kindnudge: your saved state was repaired"
    assert notice["body"].startswith(f"Your state file was damaged; moved it to {paths.state_db()}.broken-")
    assert nudge["summary"] in ("A gentle reframe", "A moment for you")
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())
    assert run("history").stderr == "", "the daemon told it already"
