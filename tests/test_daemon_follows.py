"""A running `kindnudge run` follows what the user does meanwhile, and says so.

Started first, as the README has it, it must take in the config that `setup`
writes later (into folders that did not exist), a message added with `add`,
and edits to packs kept anywhere; in timerfd mode, through inotify, and in
the heartbeat fallback too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import tzlocal

from kindnudge import paths
from kindnudge.library import load_all
from kindnudge.state import State

from conftest import run
from running import history, next_minute, schedule

UTC = timezone.utc


def builtin(kind: str) -> list[str]:
    return [m.id for m in load_all(paths.builtin_packs_dir(), []).of_kind(kind)]


def hide(ids: list[str], undo: bool = False) -> None:
    with State(paths.state_db()) as state, state.transaction():
        for message_id in ids:
            state.set_mark(message_id, None if undo else "hidden")


def move_clock(fake_clock, to: datetime) -> None:
    fake_clock.set((to - datetime.now(UTC)).total_seconds())


def test_started_before_setup_it_takes_in_setup_and_add(desktop, home, fake_clock, daemons):
    """The README's order: start it with no config folder at all, then `setup`, then `add`."""
    assert not (home / "config").exists()
    daemon = daemons(fake_clock.env)
    assert "clock watch: timerfd" in daemon.log_text()
    zone = tzlocal.get_localzone()  # setup writes no timezone: the computer's applies
    due = next_minute(5).astimezone(zone)
    move_clock(fake_clock, due - timedelta(seconds=30))  # the daemon's clock only

    result = run("setup", "--times", f"{due:%H:%M}", "--kinds", "self-care", "--quiet", "none", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(
        f"All set. kindnudge is running (pid {daemon.proc.pid}) and picked up your new schedule.\n"
    )
    daemon.wait_for(f"config reloaded; next nudge today {due:%H:%M %Z} ({due.isoformat()}), rule my nudges")

    hide(builtin("self-care"))  # so only a message added now can come
    move_clock(fake_clock, due - timedelta(seconds=5))  # the reload after `add` plans from here
    mine = "Drink a glass of water, slowly."
    assert run("add", mine, "--kind", "self-care").returncode == 0
    daemon.wait_for("config reloaded", times=2)
    daemon.wait_for(f"for today {due:%H:%M %Z} ({due.isoformat()}), rule my nudges")
    test, nudge = desktop.received(2)
    assert test["summary"] == "kindnudge is ready" and nudge["body"] == mine
    daemon.stop()
    (entry,) = history()
    assert (entry["status"], entry["rule"], entry["due"], entry["text"]) == (
        "delivered",
        "my nudges",
        due.isoformat(),
        mine,
    )


@pytest.mark.parametrize("watch", ["timerfd", "heartbeat"])
def test_every_file_it_reads_reloads_it_wherever_it_lives(config_file, home, daemons, watch):
    elsewhere = home / "elsewhere" / "mine.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("messages:\n  - {id: one, kind: reframe, text: One.}\n")
    schedule(config_file, next_minute(60), extra=f"content: {{packs: ['{elsewhere}']}}\n")
    daemon = daemons({"KINDNUDGE_HEARTBEAT": "0.1"} if watch == "heartbeat" else {})
    assert f"clock watch: {watch}" in daemon.log_text()

    assert run("add", "You are allowed to rest.", "--kind", "self-care").returncode == 0
    daemon.wait_for("config reloaded", times=1)
    elsewhere.write_text(elsewhere.read_text() + "  - {id: two, kind: reframe, text: Two.}\n")
    daemon.wait_for("config reloaded", times=2)

    later = home / "not-yet" / "there" / "more.yaml"  # named before it exists
    schedule(config_file, next_minute(60), extra=f"content: {{packs: ['{elsewhere}', '{later}']}}\n")
    daemon.wait_for(f"pack file {later} was not found")
    later.parent.mkdir(parents=True)
    later.write_text("messages:\n  - {id: three, kind: reframe, text: Three.}\n")
    daemon.wait_for("config reloaded", times=3)
    later.write_text("messages: nope\n")
    daemon.wait_for(f"{later}:1:11: 'messages' must be a list")
    daemon.stop()
