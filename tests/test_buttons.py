"""♥ Keep, Hide and Another on the nudge itself, pressed through a real dunst.

dunst has no buttons on screen but a context menu, which it hands to its
`dmenu` command: `dunstctl context` pipes it lines such as
`#Hide (Title) [2,hide]` and invokes the line the command prints, so the
daemon receives a real ActionInvoked from a real server.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kindnudge.state import SCHEMA_VERSION, HistoryEntry, State

from conftest import run
from desktop import lines_in, server_without_actions, with_menu
from running import history, next_minute, schedule, started_before


@pytest.fixture
def menu_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    session, menu = with_menu(tmp_path)
    for key, value in session.env.items():
        monkeypatch.setenv(key, value)
    yield session, menu
    session.stop()


def fire_once(config_file: Path, fake_clock, daemons, extra: str = "", slots: int = 1):
    """A daemon whose first slot comes just after it has started; more slots a minute apart."""
    due = next_minute()
    schedule(config_file, *(due + timedelta(minutes=i) for i in range(slots)), extra=extra)
    daemon = started_before(due, fake_clock, daemons)
    daemon.wait_for("delivered", timeout=30)  # an upper bound: a loaded machine starts slowly
    return daemon, due


def marks() -> dict[str, str | None]:
    return {m["id"]: m["mark"] for m in json.loads(run("list", "--json").stdout)}


@pytest.mark.parametrize(
    ("key", "status", "mark"), [("keep", "kept", "favourite"), ("hide", "hidden", "hidden")]
)
def test_keep_and_hide_on_the_notification_mark_it_and_say_so_in_history(
    menu_desktop, config_file, fake_clock, daemons, key, status, mark
):
    desktop, menu = menu_desktop
    daemon, due = fire_once(config_file, fake_clock, daemons)
    (shown,) = desktop.received(1)
    delivered = history()[0]
    menu.press(key)
    daemon.wait_for(f"{status} {delivered['id']}")
    labels = sorted(line.split(" (")[0] for line in menu.offered())
    assert labels == ["#Another", "#Dismiss", "#Hide", "#\u2665 Keep"]
    assert all(f"({shown['summary']})" in line for line in menu.offered())
    assert marks()[delivered["id"]] == mark
    pressed, first = history()[:2]
    assert first == delivered and first["due"] == due.isoformat()
    assert (pressed["status"], pressed["id"], pressed["due"], pressed["kind"]) == (
        status,
        delivered["id"],
        None,
        delivered["kind"],
    )
    assert pressed["text"] == (delivered["text"] if key == "keep" else None)
    said = desktop.received(2)[-1]["body"]  # in the nudge's place: the press was heard
    assert said == (
        "\u2665 Kept. This one will come more often."
        if key == "keep"
        else "Hidden. You won't see that one again."
    )
    assert daemon.stop() < 1.0


def test_another_replaces_the_nudge_with_a_new_message_of_its_kind(
    menu_desktop, config_file, fake_clock, daemons
):
    desktop, menu = menu_desktop
    daemon, _due = fire_once(config_file, fake_clock, daemons, extra="content:\n  kinds: [self-care]\n")
    (first,) = desktop.received(1)
    menu.press("another")
    second = desktop.received(2)[-1]
    daemon.wait_for("another: ")
    assert second["summary"] == first["summary"] == "A moment for you"
    assert second["body"] != first["body"]
    again, original = history()[:2]
    assert (again["status"], again["reason"], again["due"], again["rule"]) == (
        "delivered",
        "another",
        None,
        None,
    )
    assert (again["kind"], original["kind"]) == ("self-care", "self-care")
    assert again["id"] != original["id"]
    assert run("last", "--json").stdout and json.loads(run("last", "--json").stdout)["id"] == again["id"]
    menu.press("keep")  # the new one has buttons too
    daemon.wait_for(f"kept {again['id']}")
    assert marks()[again["id"]] == "favourite"


def test_with_buttons_off_only_the_click_on_the_body_is_offered(
    menu_desktop, config_file, fake_clock, daemons
):
    desktop, menu = menu_desktop
    daemon, _due = fire_once(config_file, fake_clock, daemons, extra="notification:\n  buttons: false\n")
    desktop.received(1)
    menu.press("default")
    daemon.wait_for("delivered")
    assert [line.rsplit(",", 1)[1] for line in menu.offered()] == ["default]"]
    assert [e["status"] for e in history()] == ["delivered"]


def test_a_server_without_actions_gets_none_and_presses_on_other_ids_are_ignored(
    desktop, config_file, fake_clock, daemons, tmp_path
):
    with server_without_actions(desktop, tmp_path, press=True) as calls:
        daemon, _due = fire_once(config_file, fake_clock, daemons)
        notify = calls.read_text().splitlines()[0]  # the press's word of thanks may follow at once
        delivered = history()[0]
        daemon.wait_for(f"kept {delivered['id']}")  # the presses before it were handled, in order
        lines_in(calls, 2)  # the nudge, then the word that its press was heard
        assert daemon.stop() < 1.0
        assert run("now", env={"LD_PRELOAD": ""}).returncode == 0  # a short-lived sender
        _notify, confirmed, by_hand = lines_in(calls, 3)
    assert "desktop-entry" not in eval(by_hand)[6], "GNOME would withdraw it when `now` exits"
    _app, replaces, _icon, _title, body, actions, _hints, _timeout = eval(confirmed)
    assert (replaces, body, actions) == (7, "\u2665 Kept. This one will come more often.", [])
    app, replaces, _icon, _title, _body, actions, hints, _timeout = eval(notify)
    assert (app, replaces, actions) == ("kindnudge", 0, [])
    assert hints["desktop-entry"] == ("s", "io.github.kindnudge.Kindnudge")
    statuses = [(e["status"], e["due"] is not None) for e in history()]
    # One row each (in any order: `now` ran on the real clock, the daemon on its moved one).
    assert sorted(statuses) == [("delivered", False), ("delivered", True), ("kept", False)]
    assert {i: m for i, m in marks().items() if m} == {delivered["id"]: "favourite"}


# The tables as main writes them today (version 3), before buttons could record a press.
VERSION_3 = """
CREATE TABLE bag_seen (kind TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (kind, message_id));
CREATE TABLE history (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, due TEXT, rule TEXT, kind TEXT NOT NULL,
    message_id TEXT, text TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('sending', 'delivered', 'failed', 'skipped', 'interrupted', 'erased')),
    reason TEXT
);
CREATE INDEX history_kind_status ON history (kind, status, id);
CREATE TABLE marks (message_id TEXT PRIMARY KEY, mark TEXT NOT NULL CHECK (mark IN ('favourite', 'hidden')));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version=3;
"""


def test_a_state_file_from_before_the_buttons_takes_their_rows_and_keeps_its_own(home):
    db = home / "state" / "kindnudge" / "state.sqlite3"
    db.parent.mkdir(parents=True, mode=0o700)
    with sqlite3.connect(db) as old:
        old.executescript(VERSION_3)
        old.execute(
            "INSERT INTO history VALUES (7, '2026-11-27T09:00:01+00:00', '2026-11-27T09:00:00+00:00',"
            " 'morning', 'reframe', 'clarity', 'See it as clarity.', 'delivered', NULL)"
        )
        old.execute("INSERT INTO marks VALUES ('freedom', 'hidden')")
    old.close()
    last = json.loads(run("last", "--json").stdout)
    assert (last["id"], last["title"], last["text"]) == ("clarity", "A gentle reframe", "See it as clarity.")
    with State(db) as state, state.transaction():  # what the daemon does on a press
        state.record(
            HistoryEntry(datetime.now(timezone.utc), None, "reframe", "clarity", None, "hidden", "pressed")
        )
    assert [(e["id"], e["status"]) for e in history()] == [("clarity", "hidden"), ("clarity", "delivered")]
    assert "by button" in run("history").stdout.splitlines()[0]
    with sqlite3.connect(db) as new:
        assert new.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert new.execute("SELECT * FROM marks").fetchall() == [("freedom", "hidden")]
    new.close()


def test_last_says_what_was_shown_most_recently_or_that_nothing_was(config_file):
    assert run("last").stdout == "nothing has been shown yet\n"
    assert run("last", "--json").stdout == "null\n"
    config_file.write_text("notification:\n  backend: console\n  title: Breathe\n")
    assert run("now", "--kind", "self-care").returncode == 0
    shown = history()[0]
    result = run("last")
    assert result.returncode == 0
    assert result.stdout.splitlines()[1:] == [shown["text"], f"(id {shown['id']})"]
    assert result.stdout.splitlines()[0].endswith("  Breathe")
    assert run("hide", "last").stdout.startswith(f"{shown['id']} will not be shown again")


def test_a_restarted_server_gets_the_next_nudge_and_its_buttons_work(
    menu_desktop, config_file, fake_clock, daemons
):
    """A restarted dunst reuses ids: the press must reach the new nudge, not the old one."""
    desktop, menu = menu_desktop
    daemon, due = fire_once(config_file, fake_clock, daemons, slots=2)
    first = history()[0]
    desktop.stop_server()
    desktop.start_server()
    following = due + timedelta(minutes=1)
    fake_clock.set((following - timedelta(seconds=1) - datetime.now(timezone.utc)).total_seconds())
    daemon.wait_for("delivered", times=2)
    desktop.received(2)
    second = history()[0]
    assert (second["status"], second["due"]) == ("delivered", following.isoformat())
    menu.press("keep")
    daemon.wait_for(f"kept {second['id']}")
    assert marks()[second["id"]] == "favourite"
    assert first["id"] == second["id"] or marks()[first["id"]] is None
    assert "the notification service changed" in daemon.log_text()


def test_another_on_a_journey_stays_in_today_s_stage(menu_desktop, config_file, fake_clock, daemons):
    desktop, menu = menu_desktop
    assert run("journey", "start").returncode == 0
    stage_of = {m["text"]: m["stage"] for m in json.loads(run("list", "--json").stdout)}
    daemon, _due = fire_once(config_file, fake_clock, daemons)
    for n in range(2, 6):
        menu.press("another")
        desktop.received(n)
        daemon.wait_for("another: ", times=n - 1)
    assert {stage_of[got["body"]] for got in desktop.received(5)} == {"first-days"}


def test_now_handed_to_the_daemon_comes_with_buttons_that_work(menu_desktop, config_file, daemons):
    desktop, menu = menu_desktop
    daemon = daemons()
    daemon.wait_for("started (pid")
    result = run("now")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    (shown,) = desktop.received(1)
    delivered = history()[0]
    assert (delivered["rule"], delivered["text"]) == (None, shown["body"])
    for noise in ("NotificationClosed string:x", "ActionInvoked string:keep uint32:5"):  # any program may
        subprocess.run(
            ["dbus-send", "--session", "--type=signal", "/org/freedesktop/Notifications",
             f"org.freedesktop.Notifications.{noise.split()[0]}", *noise.split()[1:]],
            env=desktop.env, check=True, timeout=10,
        )  # fmt: skip
    menu.press("keep")
    daemon.wait_for(f"kept {delivered['id']}")
    assert "#\u2665 Keep" in {line.split(" (")[0] for line in menu.offered()}
    assert marks()[delivered["id"]] == "favourite"
