"""A running `kindnudge run` follows what the user does meanwhile, and says so.

Started first, as the README has it, it must take in the config that `setup`
writes later (into folders that did not exist), a message added with `add`,
and edits to packs kept anywhere; in timerfd mode, through inotify, and in
the heartbeat fallback too. A nudge it cannot show is told once, not lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random

import pytest
import tzlocal

from kindnudge import paths
from kindnudge.library import Library, Message, load_all
from kindnudge.nudge import draw, why_nothing
from kindnudge.state import State

from conftest import run
from running import history, next_minute, schedule

UTC = timezone.utc
HIDDEN_TOLD = "every self-care message is hidden; `kindnudge hide ID --undo` brings one back"


def builtin(kind: str) -> list[str]:
    return [m.id for m in load_all(paths.builtin_packs_dir(), []).of_kind(kind)]


def hide(ids: list[str], undo: bool = False) -> None:
    with State(paths.state_db()) as state, state.transaction():
        for message_id in ids:
            state.set_mark(message_id, None if undo else "hidden")


def move_clock(fake_clock, to: datetime) -> None:
    fake_clock.set((to - datetime.now(UTC)).total_seconds())


@pytest.mark.reliability  # the README's order end to end: several seconds
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
        f"All set. kindnudge is running (pid {daemon.proc.pid}) and has picked up your new schedule.\n"
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


def test_a_rule_with_every_message_hidden_is_recorded_and_told_once(
    desktop, config_file, fake_clock, daemons
):
    first = next_minute(10)
    times = [first, first + timedelta(minutes=1), first + timedelta(minutes=2)]
    at = ", ".join(f"'{t:%H:%M}'" for t in times)
    config_file.write_text(
        f"timezone: UTC\nquiet_hours: []\nschedule:\n  - {{name: evening, at: [{at}], kind: self-care}}\n"
    )
    hidden = builtin("self-care")
    hide(hidden)
    result = run("check")
    assert result.returncode == 0
    assert f"warning: rule 'evening' has nothing left to show: {HIDDEN_TOLD}\n" in result.stdout

    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.1"})
    for slot, due in enumerate(times[:2], start=1):
        move_clock(fake_clock, due + timedelta(seconds=1))
        daemon.wait_for("nothing left to show for rule evening", times=slot)
    hide(hidden[:1], undo=True)
    move_clock(fake_clock, times[2] + timedelta(seconds=1))
    daemon.wait_for("delivered")
    received = desktop.received(2)  # dunst runs its log script per notification: either may log first
    (notice,) = [n for n in received if n["summary"] == "kindnudge: nothing left to show"]
    (nudge,) = [n for n in received if n is not notice]
    assert (notice["summary"], notice["body"]) == (
        "kindnudge: nothing left to show",
        f"nothing left to show for rule evening: {HIDDEN_TOLD}",
    )
    daemon.stop()
    assert len(desktop.received()) == 2, "told once, not on every slot"
    entries = sorted(history(), key=lambda e: e["due"])
    assert [(e["status"], e["reason"]) for e in entries[:2]] == [
        ("skipped", f"nothing left to show for rule evening: {HIDDEN_TOLD}")
    ] * 2
    assert (entries[2]["status"], entries[2]["id"], entries[2]["text"]) == (
        "delivered",
        hidden[0],
        nudge["body"],
    )
    assert "warning" not in run("check").stdout


def test_a_rule_for_both_kinds_shows_reframes_when_every_self_care_is_hidden(home):
    hide(builtin("self-care"))
    library = load_all(paths.builtin_packs_dir(), [])
    with State(paths.state_db()) as state:
        kinds = {
            draw(library, ["self-care", "reframe"], state, Random(seed)).message.kind for seed in range(30)
        }
    assert kinds == {"reframe"}


def test_what_a_rule_for_both_kinds_is_told_when_every_message_is_hidden(home):
    library = load_all(paths.builtin_packs_dir(), [])
    marks = {m.id: "hidden" for m in library.messages}
    assert why_nothing(library, ["self-care", "reframe"], marks) == (
        "every self-care and reframe message is hidden; `kindnudge hide ID --undo` brings one back"
    )


def test_a_rule_for_a_kind_with_no_message_at_all_is_told_how_to_add_one():
    library = Library((Message("s1", "self-care", "Drink some water.", None, "my-messages"),))
    assert why_nothing(library, ["reframe"], {}) == (
        'there are no reframe messages; add one with `kindnudge add "..." --kind reframe`'
    )
    assert why_nothing(library, ["self-care"], {}) is None


def test_setup_of_another_config_does_not_claim_the_running_daemon_took_it(config_file, tmp_path, daemons):
    config_file.write_text("quiet_hours: []\n")
    daemon = daemons({"KINDNUDGE_HEARTBEAT": "0.2"})
    other = tmp_path / "elsewhere" / "config.yaml"
    result = run("--config", str(other), "setup", "--times", "09:15", "--yes", "--no-test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(
        f"All set. kindnudge is running (pid {daemon.proc.pid}), but it reads {config_file}, not this file.\n"
    )
