"""`kindnudge run` end to end: a real daemon process, a real dunst, real signals.

Wall-clock time is moved with libfaketime (monotonic time keeps running), so
"a nudge due in 2 s" and "the laptop slept for 2 h" take seconds, not hours.
Its parts (trigger, firing, reload, watcher) are also driven directly, with
an injected clock, to make them fail in ways no config can any more.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from kindnudge import firing, paths
from kindnudge.config import load_config
from kindnudge.daemon import RETRY, Daemon, Loaded, PlanTrigger
from kindnudge.library import load_all
from kindnudge.notify import Chain
from kindnudge.planner import Plan
from kindnudge.schedule import Rule
from kindnudge.state import HANDLED_UNTIL, HistoryEntry, State
from kindnudge.watch import Watcher

from conftest import run
from running import history, next_minute, schedule, started_before

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
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "59"})  # no file watch: SIGHUP alone
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
    daemon.wait_for("config reloaded; next nudge ")  # "today" or, late in the evening, "tomorrow"
    reloaded = daemon.log_text().split("config reloaded")[1]
    assert f" {later:%H:%M} UTC ({later.isoformat()}), rule r" in reloaded
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


def test_a_running_daemon_survives_every_bad_config_and_says_so_once_each(
    desktop, config_file, fake_clock, daemons
):
    """Values that once killed it (OverflowError, RecursionError) and a broken
    pack: each is told once, by notification, and the old schedule still fires."""
    due = next_minute(60)
    schedule(config_file, due)
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    pack = config_file.with_name("mine.yaml")
    pack.write_text("messages:\n  - id: x\n    kind: joy\n    text: hi\n")
    other = f"timezone: UTC\nquiet_hours: []\nschedule:\n  - at: '{next_minute(30):%H:%M}'\n"
    gap = "  - {random: 2, between: ['10:00', '12:00'], min_gap: 999999999d}\n"
    bad = [  # (config, where the notice points, what it says)
        (other + "catch_up: 99999999999d\n", f"{config_file}:5:11", "catch_up takes 0 to 7d"),
        (other + "catch_up: 99999999999d\n", f"{config_file}:5:11", "catch_up takes 0 to 7d"),
        (other + gap, f"{config_file}:5:55", "min_gap takes 0 to 2h"),
        (other.replace("UTC", "a/" * 3000 + "b"), f"{config_file}:1:11", "unknown time zone"),
        (other + "notification: {timeout: 25d}\n", f"{config_file}:5:25", "timeout takes 0 to 1h"),
        (other + "content: {packs: [mine.yaml]}\n", f"{pack}:3:11", "unknown kind 'joy'"),
    ]
    for reloads, (text, where, words) in enumerate(bad, start=1):
        fake_clock.set(reloads * 61)  # a notice comes at most once a minute
        config_file.write_text(text)
        daemon.wait_for("keeping the previous schedule", times=reloads)
        assert f"{where}: {words}" in daemon.log_text()
    assert f"{pack} has a problem" in daemon.log_text()
    fake_clock.set((due - datetime.now(UTC)).total_seconds() + 1)
    daemon.wait_for("delivered")
    received = desktop.received(6)
    told = [(n["summary"], n["body"]) for n in received if n["summary"].startswith("kindnudge:")]
    assert len(received) == 6 and len(told) == 5  # the repeated mistake is not told twice
    # dunst runs its log script for each notification apart: under load, lines may swap.
    for _text, where, words in bad[:1] + bad[2:]:
        ((summary, body),) = [(s, b) for s, b in told if b.startswith(f"{where}: {words}")]
        assert summary == f"kindnudge: {'mine.yaml' if 'mine' in where else 'your config'} needs a look"
        assert body.endswith("keep running until this is fixed.")
    assert daemon.stop() < 1.0
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())


def test_a_firing_the_desktop_cannot_take_is_settled_failed_and_the_message_stays_unseen(
    config_file, fake_clock, daemons
):
    due = next_minute()
    schedule(config_file, due, extra="notification:\n  backend: dbus\n")
    daemon = started_before(
        due, fake_clock, daemons, {"DBUS_SESSION_BUS_ADDRESS": "tcp:host=127.0.0.1,port=1"}
    )
    daemon.wait_for("delivery failed")
    assert daemon.proc.poll() is None
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("failed", due.isoformat())
    assert entry["reason"].startswith("cannot reach the session bus at tcp:host=127.0.0.1,port=1: ")
    with State(paths.state_db()) as state:
        assert state.seen(entry["kind"]) == set()


# -- the daemon's parts, driven directly with an injected clock ---------------

NINE = datetime(2026, 6, 1, 9, tzinfo=UTC)
MORNING = Plan((Rule("morning", ("reframe",), at=(dtime(9),)),), ZoneInfo("UTC"), None)


class BrokenPlan:
    """A plan that fails however it is asked, as a bug or a date overflow would."""

    def between(self, *_args):
        raise OverflowError("date value out of range")

    upcoming = after = between


class Screen:
    """A notifier that keeps what it was asked to show."""

    name = "dbus"

    def __init__(self) -> None:
        self.shown = []

    def send(self, notification):
        self.shown.append(notification)


def loaded(home, plan, screen=None) -> Loaded:
    config = load_config(home / "none.yaml", required=False)
    return Loaded(config, load_all(paths.builtin_packs_dir(), []), plan, Chain([screen or Screen()]))


def daemon_at(home, now, load=None) -> Daemon:
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(HANDLED_UNTIL, NINE - timedelta(hours=1))
    return Daemon(load or (lambda: None), paths.state_db(), home / "config.yaml", lambda: now)


def rows() -> list:
    with State(paths.state_db()) as state:
        return state.history(10)


def test_the_trigger_always_answers_so_apscheduler_never_drops_the_job(caplog):
    trigger = PlanTrigger(BrokenPlan())
    assert trigger.get_next_fire_time(None, NINE) == NINE + timedelta(minutes=1)
    end = datetime.max.replace(tzinfo=UTC)
    assert trigger.get_next_fire_time(None, end) == end
    assert "could not work out the next nudge" in caplog.text and "OverflowError" in caplog.text


def test_a_firing_whose_planning_fails_still_records_its_slot(home, caplog):
    daemon = daemon_at(home, NINE + timedelta(seconds=1))
    daemon.current = loaded(home, BrokenPlan())
    daemon.trigger = PlanTrigger(MORNING)
    assert daemon.trigger.get_next_fire_time(None, NINE - timedelta(hours=1)) == NINE
    daemon.settle()  # must not raise into APScheduler
    (entry,) = rows()
    assert (entry.status, entry.due, entry.rule) == ("failed", NINE, "morning")
    assert "OverflowError (date value out of range)" in entry.reason
    assert "Traceback" in caplog.text and daemon.trigger.promised == {}


def test_a_slot_with_nothing_left_to_draw_is_recorded_skipped_and_told_once(home):
    screen = Screen()
    now = [NINE + timedelta(seconds=1)]
    daemon = daemon_at(home, None)
    daemon.clock = lambda: now[0]
    daemon.current = loaded(home, MORNING, screen)
    with State(paths.state_db()) as state, state.transaction():
        for message in daemon.current.library.of_kind("reframe"):
            state.set_mark(message.id, "hidden")
    daemon.settle()
    now[0] += timedelta(days=1)
    daemon.settle()
    told = "nothing left to show for rule morning: every reframe message is hidden;"
    assert [(e.status, e.due) for e in rows()] == [("skipped", NINE + timedelta(days=1)), ("skipped", NINE)]
    assert all(e.reason.startswith(told) for e in rows())
    assert [(n.title, n.body[: len(told)]) for n in screen.shown] == [
        ("kindnudge: nothing left to show", told)
    ]


def test_two_rules_due_in_the_same_minute_bring_one_nudge_and_one_row_naming_both(home):
    plan = Plan(
        (
            Rule("morning", ("reframe",), at=(dtime(9),)),
            Rule("letters", ("self-care",), at=(dtime(9),)),
        ),
        ZoneInfo("UTC"),
        None,
    )
    screen = Screen()
    daemon = daemon_at(home, NINE + timedelta(seconds=1))
    daemon.current = loaded(home, plan, screen)
    daemon.settle()
    (entry,) = rows()
    assert (entry.status, entry.due, entry.rule) == ("delivered", NINE, "morning + letters")
    assert [n.body for n in screen.shown] == [entry.text]


def test_a_reload_keeps_the_schedule_whatever_loading_raises_and_tells_once_per_problem(home, caplog):
    screen = Screen()
    first = loaded(home, MORNING, screen)
    outcomes = iter(
        [first, RecursionError("too deep"), RecursionError("too deep"), loaded(home, BrokenPlan())]
    )

    def load() -> Loaded:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    daemon = daemon_at(home, NINE, load)
    daemon.current = daemon.load()
    for minute in range(3):  # a minute apart: a second notice within one is not shown
        daemon.reloads.clock = lambda minute=minute: NINE + timedelta(minutes=minute)
        daemon.reload()  # must not raise
    assert daemon.current is first
    config = home / "config.yaml"
    assert [(n.title, n.body) for n in screen.shown] == [
        (
            "kindnudge: your config needs a look",
            f"{config}: kindnudge hit an unexpected RecursionError (too deep); see the log."
            " Your previous schedule and messages keep running until this is fixed.",
        ),
        (
            "kindnudge: your config needs a look",
            f"{config}: kindnudge hit an unexpected OverflowError (date value out of range); see the log."
            " Your previous schedule and messages keep running until this is fixed.",
        ),
    ]
    assert caplog.text.count("Traceback") == 3


def test_a_config_saved_at_every_key_is_told_at_most_once_a_minute(tmp_path):
    """An editor saving as you type makes a new mistake each time: one notice, not ten.
    The mistake left when the minute is over is told at the next save."""
    from kindnudge.errors import ConfigError
    from kindnudge.reloading import Reloads

    saves = [  # (seconds, what loading says: a mistake, or None when the file is fine)
        (0, "'w' is not a day"),
        (1, "'we' is not a day"),
        (59, "'wedx' is not a day"),
        (70, "'wedx' is not a day"),  # saved again unchanged, the minute over: told now
        (200, "'wedx' is not a day"),  # told already
        (300, None),
        (400, "'wedx' is not a day"),  # made again after it was fixed: news again
    ]
    now, told = [NINE], []

    def load() -> Loaded:
        if saves[0][1] is None:
            return loaded(tmp_path, MORNING)
        raise ConfigError(saves[0][1])

    reloads = Reloads(load, tmp_path / "config.yaml", lambda: now[0], lambda title, text: told.append(text))
    seen = []
    while saves:
        now[0] = NINE + timedelta(seconds=saves[0][0])
        before = len(told)
        reloads.attempt(None)
        seen.append((saves.pop(0)[0], len(told) > before))
    assert seen == [(0, True), (1, False), (59, False), (70, True), (200, False), (300, False), (400, True)]
    said = [text.split(".")[0] for text in told]
    assert said == ["'w' is not a day", "'wedx' is not a day", "'wedx' is not a day"]


def test_the_watcher_falls_back_to_a_heartbeat_when_kernel_events_fail(tmp_path, caplog):
    config = tmp_path / "config.yaml"
    config.write_text("a")
    changed = threading.Event()
    watcher = Watcher([config], lambda: None, changed.set)

    def broken() -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    watcher._run_events, watcher.mode, watcher._interval = broken, "timerfd", 0.02
    watcher._thread.start()
    for second in range(1, 200):  # touch until the heartbeat has started and noticed
        os.utime(config, (second, second))
        if changed.wait(0.05):
            break
    watcher.stop()
    assert changed.is_set() and watcher.mode == "heartbeat"
    assert "clock and file events failed; using a 0.02s heartbeat" in caplog.text


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
    received = desktop.received(2)  # dunst runs its log script per notification: either may log first
    (notice,) = [n for n in received if n["summary"] == "kindnudge: your saved state was repaired"]
    (nudge,) = [n for n in received if n is not notice]
    assert notice["body"].startswith(f"Your state file was damaged; moved it to {paths.state_db()}.broken-")
    assert nudge["summary"] in ("A gentle reframe", "A moment for you")
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"]) == ("delivered", due.isoformat())
    assert run("history").stderr == "", "the daemon told it already"


@pytest.mark.reliability  # waits out a 3 s lock and a retry
def test_a_slot_due_while_the_state_is_locked_is_shown_once_it_is_free(
    desktop, config_file, fake_clock, daemons
):
    """Another program holds the state across a slot: the firing is tried
    again soon, not lost until the next slot, and the log says why it was late."""
    due = next_minute()
    fake_clock.set((due - timedelta(seconds=2) - datetime.now(UTC)).total_seconds())
    schedule(config_file, due)
    daemon = daemons({**fake_clock.env, "KINDNUDGE_RETRY": "0.5"})
    locker = sqlite3.connect(paths.state_db(), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    daemon.wait_for("this firing could not use kindnudge's state (trying again in 0.5s)", timeout=15)
    assert desktop.received(0) == []
    locker.execute("ROLLBACK")
    locker.close()
    text = daemon.wait_for("delivered", timeout=15)
    (got,) = desktop.received(1)
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["due"], entry["text"]) == ("delivered", due.isoformat(), got["body"])
    assert "as kindnudge could not use its saved state from today" in text
    assert f"kindnudge's state is busy (another program holds {paths.state_db()})" in text


def test_a_firing_held_up_past_catch_up_is_recorded_skipped_saying_why(home, monkeypatch):
    monkeypatch.setattr(firing, "STATE_WAIT_S", 0.05)
    screen = Screen()
    now = [NINE + timedelta(seconds=1)]
    daemon = daemon_at(home, None)
    daemon.clock = lambda: now[0]
    daemon.current = loaded(home, MORNING, screen)
    daemon.trigger = PlanTrigger(MORNING, lambda: daemon.firing.held_up is not None)
    locker = sqlite3.connect(paths.state_db(), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    daemon.settle()
    assert rows() == [] and daemon.firing.held_up
    assert daemon.trigger.get_next_fire_time(NINE, now[0]) == now[0] + RETRY  # not tomorrow 09:00
    locker.execute("ROLLBACK")
    now[0] += timedelta(hours=3)  # the catch_up window (2h) has passed meanwhile
    daemon.settle()
    (entry,) = rows()
    assert (entry.status, entry.due) == ("skipped", NINE)
    assert entry.reason == (
        "missed by 3h00m, more than catch_up allows;"
        " kindnudge could not use its saved state until now (the log says why)"
    )
    assert screen.shown == [] and daemon.firing.held_up is None
    assert daemon.trigger.get_next_fire_time(NINE, now[0]) == NINE + timedelta(days=1)


@pytest.mark.reliability  # writes and starts reading a 100,000-message pack: a few seconds
def test_sigterm_during_a_long_reload_stops_it_within_a_second(config_file, daemons):
    """The hostile tester's case: a huge pack saved, then SIGTERM while it is read."""
    schedule(config_file, next_minute(60))
    daemon = daemons({"KINDNUDGE_HEARTBEAT": "0.2"})
    pack = config_file.with_name("big.yaml")
    pack.write_text(
        "messages:\n"
        + "".join(f"  - {{id: q{i}, kind: reframe, text: message number {i}}}\n" for i in range(100_000))
    )
    config_file.write_text(config_file.read_text() + "content:\n  packs: [big.yaml]\n")
    daemon.wait_for("the config or a message file changed")
    time.sleep(0.3)  # real time: the reload is now reading the pack
    assert "config reloaded" not in daemon.log_text()
    assert daemon.stop() < 1.0


def test_a_nudge_left_sending_by_a_killed_daemon_is_interrupted_at_the_next_start(config_file, daemons):
    """What kill -9 mid-delivery leaves behind (the reliability suite makes it for
    real): the next `run` settles that row as interrupted, and says so."""
    schedule(config_file, next_minute(60))
    due = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with State(paths.state_db()) as state, state.transaction():
        state.record(HistoryEntry(due, "morning", "reframe", "clarity", "Clarity.", "sending", None, due))
    daemon = daemons()  # returns once started: the mark comes before
    assert "a nudge was being shown when kindnudge stopped; marked it interrupted" in daemon.log.read_text()
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["id"], entry["due"]) == ("interrupted", "clarity", due.isoformat())
    assert entry["reason"] == "kindnudge stopped while showing this; it may have appeared"
