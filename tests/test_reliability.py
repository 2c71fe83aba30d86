"""The reliability suite: fuzzed configs, kill -9 during deliveries, clock
jumps, and the security promises. Marked `reliability`; CI runs it."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import stat
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindnudge import paths
from kindnudge.cli import main

from conftest import run
from running import history, next_minute, schedule

pytestmark = pytest.mark.reliability
UTC = timezone.utc

# -- config fuzzing ------------------------------------------------------------

KEYS = ["timezone", "schedule", "quiet_hours", "catch_up", "notification", "content", "push",
        "title", "timeout", "backend", "urgency", "kinds", "packs", "favourite_weight", "urls", "mode",
        "at", "random", "between", "min_gap", "cron", "days", "kind", "name", "timzone", "9:30"]  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(["09:30", "9:30", "25:00", "21:00", "2h", "90m", "0", "soon", "reframe", "self-care",
                     "any", "weekdays", "mon-fri", "funday", "Europe/Berlin", "Mars/Base", "auto", "dbus",
                     "console", "*/15 9-17 * * mon-fri", "61 * * * *", "no", "on", "~", "", "- x", "json://x"]),
    st.integers(-5, 2000), st.booleans(), st.none(), st.text(max_size=12),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=15,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7).map(
    lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
)
JUNK = ["{", "]", ":", "\t", "!!python/object:os.system ", "&a", "*b", "'", '"', "- ", "\n  ", "%", "@"]
BROKEN = st.tuples(DOCUMENTS, st.integers(0, 400), st.sampled_from(JUNK))


def check_any(document: str, capsys) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "config.yaml"
    path.write_text(document)
    capsys.readouterr()
    code = main(["--config", str(path), "check"])
    _out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, err, document)
    if code == 1:  # a valid config, and no desktop in this test to show notifications
        assert "nothing can show a notification right now" in err and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert err.count("\n") == 1, err
        assert re.match(rf"kindnudge: {re.escape(str(path))}:\d+:\d+: \S", err), (err, document)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENTS)
def test_fuzzed_configs_never_crash_and_every_error_names_a_line(document, capsys):
    check_any(document, capsys)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=BROKEN)
def test_fuzzed_broken_yaml_never_crashes(case, capsys):
    document, at, junk = case
    check_any(document[:at] + junk + document[at:], capsys)


# -- crash safety ----------------------------------------------------------------


def test_kill_9_during_200_deliveries_loses_nothing_and_repeats_nothing(
    desktop, config_file, fake_clock, daemons
):
    """A nudge every minute; the wall clock is moved to just before each one,
    and the daemon is killed with SIGKILL at random moments and restarted."""
    config_file.write_text("timezone: UTC\nquiet_hours: []\nschedule:\n  - cron: '* * * * *'\n")
    chance = random.Random(2026)
    offset = 0.0
    env = {**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.05"}  # notice each move of the faked clock
    daemon = daemons(env)
    kills = 0
    while len(desktop.received(0, wait_s=0)) < 200:
        fake_now = time.time() + offset
        offset += (fake_now // 60 + 1) * 60 - fake_now - 0.15  # the next minute is 0.15 s away
        fake_clock.set(offset)
        if chance.random() < 0.25:
            time.sleep(chance.uniform(0, 0.4))  # before, during or after the delivery
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait()
            kills += 1
            daemon = daemons(env)
        else:
            time.sleep(0.3)
    daemon.stop()
    received = [n["body"] for n in desktop.received(200)]
    db = sqlite3.connect(paths.state_db())
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = db.execute(
        "SELECT kind, message_id, text, status FROM history WHERE message_id IS NOT NULL ORDER BY id"
    )
    rows = rows.fetchall()
    shown_or_maybe = [text for _k, _i, text, status in rows if status in ("delivered", "interrupted")]
    for body in set(received):  # every notification that appeared has its row
        assert received.count(body) <= shown_or_maybe.count(body), body
    # Every minute that came due, from the first to the last, has exactly one row:
    # delivered, interrupted by a kill, or skipped while the daemon was down.
    dues = [datetime.fromisoformat(d) for (d,) in db.execute("SELECT due FROM history WHERE due IS NOT NULL")]
    dues.sort()
    span = int((dues[-1] - dues[0]) / timedelta(minutes=1)) + 1
    assert dues == [dues[0] + timedelta(minutes=i) for i in range(span)]
    assert span >= 200 and kills >= 20
    counts = json.loads(run("list", "--json").stdout)
    for kind in ("reframe", "self-care"):
        claimed = [i for k, i, _t, s in rows if k == kind and s != "failed"]
        cycle = sum(1 for m in counts if m["kind"] == kind)
        # The bag holds this round's claims: a refill empties it and counts the new draw.
        (size,) = db.execute("SELECT COUNT(*) FROM bag_seen WHERE kind = ?", (kind,)).fetchone()
        assert size == ((len(claimed) - 1) % cycle + 1 if claimed else 0), (kind, size, len(claimed))
        for start in range(0, len(claimed), cycle):
            chunk = claimed[start : start + cycle]
            assert len(chunk) == len(set(chunk)), f"a {kind} message repeated within a round"


# -- clock jumps -------------------------------------------------------------------


def test_three_days_forward_no_burst_no_silent_loss(desktop, config_file, fake_clock, daemons):
    due = next_minute(60)
    schedule(config_file, due)  # daily: due three times while "asleep"
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    fake_clock.set(3 * 86400 + 2 * 3600)  # due at +1h, +25h, +49h and +73h; now +74h
    daemon.wait_for("wall clock moved")
    daemon.wait_for("delivered")
    time.sleep(0.5)
    assert len(desktop.received(1)) == 1
    daemon.stop()
    entries = history()
    assert sorted(e["status"] for e in entries) == ["delivered", "skipped", "skipped", "skipped"]
    latest = (due + timedelta(days=3)).isoformat()
    assert next(e for e in entries if e["status"] == "delivered")["due"] == latest


def test_an_hour_back_never_repeats(desktop, config_file, fake_clock, daemons):
    due = next_minute(2)
    fake_clock.set((due - timedelta(seconds=1) - datetime.now(UTC)).total_seconds())
    schedule(config_file, due)
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    desktop.received(1, wait_s=5)
    offset = (due - datetime.now(UTC)).total_seconds()
    fake_clock.set(offset - 3600)  # an hour back: 09:00 comes round again
    daemon.wait_for("wall clock moved")
    fake_clock.set(offset + 1)
    time.sleep(1.5)
    daemon.stop()
    assert len(desktop.received(1)) == 1
    assert [e["status"] for e in history()] == ["delivered"]


def test_a_clock_set_right_after_running_two_days_ahead_brings_the_next_nudge(
    desktop, config_file, fake_clock, daemons
):
    due = next_minute(2)
    schedule(config_file, due)
    fake_clock.set(2 * 86400)  # two days ahead: kindnudge settles up to then
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    daemon.wait_for("started")
    fake_clock.set((due - timedelta(seconds=1) - datetime.now(UTC)).total_seconds())  # set right
    daemon.wait_for("the clock went back")
    desktop.received(1, wait_s=10)
    daemon.stop()
    assert [(e["status"], e["due"]) for e in history()] == [("delivered", due.isoformat())]


# -- security ----------------------------------------------------------------------


def test_yaml_tags_are_refused(config_file):
    marker = config_file.parent / "owned"
    config_file.write_text(f"timezone: !!python/object/apply:os.system ['touch {marker}']\n")
    result = run("check")
    assert result.returncode == 2
    assert result.stderr.startswith(f"kindnudge: {config_file}:1:11: the tag !!python/object/apply:os.system")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["dbus", "plyer"])
def test_shell_metacharacters_and_markup_arrive_literally(desktop, config_file, name):
    marker = Path(tempfile.mkdtemp(prefix="kn")) / "owned"  # short: the text must fit in 200 characters
    text = f"$(touch {marker}) `touch {marker}`; touch {marker} | <i>x</i> && echo"
    pack = config_file.parent / "my-messages.yaml"
    pack.write_text(yaml.safe_dump({"messages": [{"id": "sneaky", "kind": "reframe", "text": text}]}))
    for message_id in [m["id"] for m in json.loads(run("list", "--json", "--kind", "reframe").stdout)]:
        if message_id != "sneaky":
            run("hide", message_id)
    config_file.write_text(f"notification:\n  backend: {name}\n  title: '$(id) `id`'\n")
    assert run("now", "--kind", "reframe").returncode == 0
    (got,) = desktop.received(1)
    assert got["summary"] == "$(id) `id`"
    assert got["body"] == text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert not marker.exists()


def test_state_files_are_private(desktop, config_file, daemons):
    schedule(config_file, next_minute(60))
    daemon = daemons()
    assert run("now").returncode == 0
    folder = paths.state_db().parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm", "kindnudge.log", "daemon.lock"):
        if (folder / name).exists():
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    daemon.stop()
    assert os.access(paths.state_db(), os.R_OK)
