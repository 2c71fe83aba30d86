"""Holding a nudge through a bad moment: the pure rules with hand-worked times,
then one firing after another with a stand-in desktop and a real state file."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from random import Random
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from kindnudge import holding, paths
from kindnudge.config import load_config
from kindnudge.desktop import Busy
from kindnudge.errors import DeliveryError
from kindnudge.firing import Firing, Loaded
from kindnudge.holding import SHOW, SKIP, WAIT, Verdict, release
from kindnudge.library import load_all
from kindnudge.notify import Alongside, Chain, Unreachable
from kindnudge.nudge import by_hand
from kindnudge.planner import Plan
from kindnudge.schedule import Rule
from kindnudge.state import HANDLED_UNTIL, PAUSED_UNTIL, State

from conftest import run

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NINE = datetime(2026, 6, 1, 9, tzinfo=UTC)
DND = "Do Not Disturb is on (dunst is paused)"
DND_THEN = "Do Not Disturb was on (dunst is paused)"


def let_go(span: str) -> str:
    """A held nudge's reason once `hold_for` has passed."""
    return f"let go after waiting {span}, as long as attention.hold_for allows: {DND_THEN}"


TWO_HOURS = timedelta(hours=2)


def at(hours: int, minutes: int = 0, seconds: int = 0) -> datetime:
    return NINE.replace(hour=hours, minute=minutes, second=seconds)


# -- the rules -----------------------------------------------------------------


def test_a_moment_that_clears_within_hold_for_shows_it_saying_how_long_it_waited():
    assert release(NINE, DND, at(9, 14, 30), TWO_HOURS, UTC, None, None) == Verdict(
        SHOW, "shown after waiting 14 min: Do Not Disturb was on (dunst is paused)"
    )


def test_hold_for_counts_from_the_due_time_and_its_last_second_still_counts():
    assert release(NINE, DND, at(10, 59, 59), TWO_HOURS, UTC, None, None).action == SHOW
    assert release(NINE, DND, at(11), TWO_HOURS, UTC, None, None) == Verdict(
        SHOW, "shown after waiting 2 h: Do Not Disturb was on (dunst is paused)"
    )
    assert release(NINE, DND, at(11, 0, 1), TWO_HOURS, UTC, None, None) == Verdict(
        SKIP,
        let_go("2 h"),
    )


def test_while_still_busy_it_waits_until_hold_for_has_passed_then_is_skipped():
    assert release(NINE, DND, at(10), TWO_HOURS, UTC, None, DND) == Verdict(WAIT)
    assert release(NINE, DND, at(11), TWO_HOURS, UTC, None, DND) == Verdict(WAIT)
    skipped = release(NINE, DND, at(11, 0, 1), TWO_HOURS, UTC, None, DND)
    assert skipped == Verdict(SKIP, let_go("2 h"))


def test_clearing_inside_quiet_hours_waits_for_their_end_in_the_schedule_zone():
    """Quiet 12:00-13:00 in Berlin (UTC+2 in June); due 11:30 there, 09:30 UTC."""
    quiet, due = (dtime(12), dtime(13)), at(9, 30)
    assert release(due, DND, at(10, 10), TWO_HOURS, BERLIN, quiet, None) == Verdict(WAIT)  # 12:10 Berlin
    assert release(due, DND, at(10, 59), TWO_HOURS, BERLIN, quiet, None) == Verdict(WAIT)
    assert release(due, DND, at(11), TWO_HOURS, BERLIN, quiet, None) == Verdict(  # 13:00 Berlin
        SHOW, "shown after waiting 1 h 30 min: Do Not Disturb was on (dunst is paused)"
    )
    # The same moments in UTC are not quiet: the zone is what decides.
    assert release(due, DND, at(10, 10), TWO_HOURS, UTC, quiet, None).action == SHOW


def test_quiet_hours_that_outlast_hold_for_skip_it_and_say_so():
    quiet, due = (dtime(12), dtime(13)), at(9, 30)
    assert release(due, DND, at(10, 45), timedelta(hours=1), BERLIN, quiet, None) == Verdict(
        SKIP,
        let_go("1 h") + ", then it was quiet hours",
    )
    still_busy = release(due, DND, at(10, 45), timedelta(hours=1), BERLIN, quiet, DND)
    assert still_busy.reason == let_go("1 h")


def test_a_pause_that_began_while_it_was_held_skips_it():
    verdict = release(NINE, DND, at(9, 30), TWO_HOURS, UTC, None, None, paused_until=at(12))
    assert verdict == Verdict(
        SKIP, "you paused nudges while it waited: Do Not Disturb was on (dunst is paused)"
    )
    assert release(NINE, DND, at(9, 30), TWO_HOURS, UTC, None, None, paused_until=at(9, 30)).action == SHOW


def test_a_moment_that_clears_just_before_the_next_nudge_lets_that_one_be_shown():
    """Not two nudges a fraction of a second, or a few minutes, apart."""
    verdict = release(NINE, DND, at(9, 55), TWO_HOURS, UTC, None, None, next_due=at(10))
    assert verdict == Verdict(
        SKIP,
        "a later nudge took its place, due 5 min after the moment cleared:"
        " Do Not Disturb was on (dunst is paused)",
    )
    assert release(NINE, DND, at(9, 54, 59), TWO_HOURS, UTC, None, None, next_due=at(10)).action == SHOW


def test_due_at_a_bad_moment_is_held_with_the_reason_or_skipped_when_hold_for_is_zero():
    assert holding.on_due(DND, TWO_HOURS) == ("held", f"held: {DND}")
    assert holding.on_due(DND, timedelta(0)) == ("skipped", f"not held, as attention.hold_for is 0: {DND}")
    assert holding.why_held(f"held: {DND}") == DND
    assert holding.why_held(None) == ""
    assert holding.why_held(DND) == DND  # written by hand, or by an older kindnudge


def test_now_says_what_would_have_held_a_scheduled_nudge():
    assert holding.past("you have been away for 3 minutes") == "you were away"
    assert holding.shown_anyway("the screen is locked", "locked") == (
        "A scheduled nudge would wait now (the screen is locked); showing this one because you asked."
    )


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (-5, "0 s"),
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
    ],
)
def test_waits_are_said_as_a_person_says_them(seconds, said):
    assert holding.spoken(timedelta(seconds=seconds)) == said


def test_the_reason_is_told_in_the_past_afterwards():
    assert holding.past("you are away") == "you were away"
    assert holding.past("the screen is locked") == "the screen was locked"
    assert holding.past("a presentation") == "a presentation"


def test_only_the_desktop_route_is_held():
    assert holding.holds(("away",), (), "alongside")
    assert holding.holds(("away",), (), "instead")  # no push URL: the desktop is the route
    assert holding.holds(("away",), ("ntfy://t",), "alongside")
    assert not holding.holds(("away",), ("ntfy://t",), "instead")
    assert not holding.holds((), (), "alongside")


# -- one firing after another, with a stand-in desktop ---------------------------


class Desk:
    """Attention as the daemon asks it: busy, or not, as the test says."""

    def __init__(self) -> None:
        self.why: str | None = DND
        self.asked = 0

    def busy(self) -> Busy | None:
        self.asked += 1
        return Busy("do-not-disturb", self.why) if self.why else None

    def signals(self) -> list[str]:
        return []


class Screen:
    name = "dbus"

    def __init__(self) -> None:
        self.shown = []

    def send(self, notification):
        self.shown.append(notification)


def plan_of(*times: dtime, zone=UTC, quiet=None) -> Plan:
    return Plan(tuple(Rule(f"r{t:%H%M}", ("reframe",), at=(t,)) for t in times), zone, quiet)


def setting_up(home, plan, desk, notifier=None, config_text="quiet_hours: []\n"):
    (home / "c.yaml").write_text(config_text)
    config = load_config(home / "c.yaml", required=True)
    screen = Screen()
    loaded = Loaded(
        config, load_all(paths.builtin_packs_dir(), []), plan, notifier or Chain([screen]), None, desk
    )
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(HANDLED_UNTIL, NINE - timedelta(hours=1))
    return loaded, screen


def firing() -> Firing:
    return Firing(paths.state_db(), Random(1), lambda *_: None, lambda m: m.isoformat())


def rows() -> list[tuple]:
    with State(paths.state_db()) as state:
        return [(e.due, e.status, e.reason, e.message_id is not None) for e in state.history(10)]


def test_a_nudge_due_at_a_bad_moment_is_held_then_shown_once_in_the_same_row(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    assert rows() == [(NINE, "held", f"held: {DND}", False)]  # drawn at release, not now
    assert fire.holding and screen.shown == []
    fire.settle(loaded, at(9, 1), lambda *_: [])  # the re-check: still busy
    assert rows()[0][1] == "held" and screen.shown == []
    desk.why = None
    fire.settle(loaded, at(9, 14), lambda *_: [])
    assert rows() == [
        (NINE, "delivered", "shown after waiting 14 min: Do Not Disturb was on (dunst is paused)", True)
    ]
    assert len(screen.shown) == 1 and not fire.holding
    fire.settle(loaded, at(9, 15), lambda *_: [])
    assert len(screen.shown) == 1 and len(rows()) == 1


def test_a_held_row_says_what_holds_it_now_and_the_shown_one_what_it_last_waited_for(home):
    """Do Not Disturb turned off while the person is away: status names the
    reason that holds it now, not the one it was first held for."""
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    desk.why = "you have been away for 12 minutes"
    fire.settle(loaded, at(9, 1), lambda *_: [])
    assert rows() == [(NINE, "held", "held: you have been away for 12 minutes", False)]
    desk.why = None
    fire.settle(loaded, at(9, 5), lambda *_: [])
    assert rows() == [(NINE, "delivered", "shown after waiting 5 min: you were away", True)]
    assert len(screen.shown) == 1


class GoneScreen(Screen):
    """A notification service that has gone away (restarting), then is back."""

    gone = True

    def send(self, notification):
        if self.gone:
            raise Unreachable("no notification service is running")
        super().send(notification)


def test_a_held_nudge_let_go_into_no_notification_service_waits_on_then_is_shown(home):
    desk, screen = Desk(), GoneScreen()
    loaded, _ = setting_up(home, plan_of(dtime(9)), desk, notifier=Chain([screen]))
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    desk.why = None  # dunst went away with its paused state: nothing says busy now
    fire.settle(loaded, at(9, 5), lambda *_: [])
    assert rows() == [(NINE, "held", "held: no notification service is running", False)]
    assert fire.holding and screen.shown == []
    screen.gone = False  # it is back
    fire.settle(loaded, at(9, 6), lambda *_: [])
    assert rows() == [
        (NINE, "delivered", "shown after waiting 6 min: no notification service was running", True)
    ]
    assert len(screen.shown) == 1


def test_a_held_nudge_with_no_notification_service_until_hold_for_ends_skipped_not_failed(home):
    desk, screen = Desk(), GoneScreen()
    loaded, _ = setting_up(
        home, plan_of(dtime(9)), desk, notifier=Chain([screen]), config_text="attention: {hold_for: 30m}\n"
    )
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    desk.why = None
    fire.settle(loaded, at(9, 5), lambda *_: [])
    fire.settle(loaded, at(9, 31), lambda *_: [])
    assert rows() == [
        (
            NINE,
            "skipped",
            "let go after waiting 30 min, as long as attention.hold_for allows:"
            " no notification service was running",
            False,
        )
    ]


def test_a_hold_that_clears_moments_before_the_next_slot_shows_one_nudge_not_two(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9), dtime(9, 30)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    desk.why = None
    fire.settle(loaded, at(9, 29, 59) + timedelta(milliseconds=830), lambda *_: [])
    fire.settle(loaded, at(9, 30), lambda *_: [])
    assert [r[:2] for r in rows()] == [(at(9, 30), "delivered"), (NINE, "skipped")]
    assert rows()[1][2].startswith("a later nudge took its place, due 0 s after the moment cleared")
    assert len(screen.shown) == 1


def test_a_later_slot_takes_the_place_of_the_held_one(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9), dtime(9, 30)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    fire.settle(loaded, at(9, 30, 1), lambda *_: [])
    assert [r[:3] for r in rows()] == [
        (at(9, 30), "held", f"held: {DND}"),
        (NINE, "skipped", "a later nudge took its place"),
    ]
    desk.why = None
    fire.settle(loaded, at(9, 40), lambda *_: [])
    assert [r[1] for r in rows()] == ["delivered", "skipped"] and len(screen.shown) == 1


def test_a_hold_longer_than_hold_for_is_skipped_with_the_reason(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk, config_text="attention: {hold_for: 30m}\n")
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    fire.settle(loaded, at(9, 30), lambda *_: [])
    assert rows()[0][1] == "held"
    fire.settle(loaded, at(9, 31), lambda *_: [])
    assert rows() == [
        (
            NINE,
            "skipped",
            let_go("30 min"),
            False,
        )
    ]
    assert screen.shown == [] and not fire.holding


def test_a_restarted_daemon_picks_up_the_held_nudge_from_the_state_file(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    firing().settle(loaded, at(9, 0, 1), lambda *_: [])
    again = firing()  # a new process: nothing in memory
    again.settle(loaded, at(9, 5), lambda *_: [])
    assert again.holding and screen.shown == []
    desk.why = None
    again.settle(loaded, at(9, 6), lambda *_: [])
    assert [r[1] for r in rows()] == ["delivered"] and len(screen.shown) == 1


def test_a_good_moment_shows_at_once_and_asks_the_desktop_only_then(home):
    desk = Desk()
    desk.why = None
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    fire = firing()
    fire.settle(loaded, at(8, 30), lambda *_: [])  # nothing due, nothing held: not asked
    assert desk.asked == 0
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    assert [r[1:3] for r in rows()] == [("delivered", "by dbus")] and len(screen.shown) == 1
    assert not fire.holding and desk.asked == 1
    fire.settle(loaded, at(9, 30), lambda *_: [])
    assert desk.asked == 1


def test_with_respect_empty_nothing_is_held(home):
    desk = Desk()
    loaded, _screen = setting_up(home, plan_of(dtime(9)), desk, config_text="attention: {respect: []}\n")
    firing().settle(loaded, at(9, 0, 1), lambda *_: [])
    assert [r[1] for r in rows()] == ["delivered"] and desk.asked == 0


def test_hold_for_zero_skips_a_nudge_due_at_a_bad_moment(home):
    loaded, screen = setting_up(home, plan_of(dtime(9)), Desk(), config_text="attention: {hold_for: 0}\n")
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    assert rows() == [(NINE, "skipped", f"not held, as attention.hold_for is 0: {DND}", False)]
    assert not fire.holding and screen.shown == []


def test_a_pause_while_held_skips_it(home):
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(PAUSED_UNTIL, at(12))
    desk.why = None
    fire.settle(loaded, at(9, 10), lambda *_: [])
    assert rows()[0][1:3] == (
        "skipped",
        "you paused nudges while it waited: Do Not Disturb was on (dunst is paused)",
    )
    assert screen.shown == []


def held_at_nine(home, config_file):
    """A 09:00 nudge (11:00 in Berlin) held by Do Not Disturb, and what shows it."""
    config_file.write_text("timezone: Europe/Berlin\n")
    desk = Desk()
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    return loaded, screen, desk, fire


def test_forget_says_the_waiting_nudge_went_with_the_history(home, config_file):
    loaded, screen, desk, fire = held_at_nine(home, config_file)
    forgot = run("forget", "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert "The 11:00 nudge that was waiting for a better moment won't come.\n" in forgot.stdout
    desk.why = None
    fire.settle(loaded, at(9, 10), lambda *_: [])
    assert screen.shown == [] and [r[1] for r in rows()] == ["erased"]
    assert "won't come" not in run("forget", "--yes").stdout, "said once, of a nudge that was waiting"


class KilledWhileShowing(Screen):
    """The daemon is killed (here: Ctrl+C) while the desktop is being asked to show it."""

    def send(self, notification):
        raise KeyboardInterrupt


def test_a_held_nudge_whose_showing_was_cut_short_is_held_again_not_lost(home, config_file):
    """Ctrl+C here; a kill -9 leaves it `sending`, and the next start does the same."""
    loaded, screen, desk, fire = held_at_nine(home, config_file)
    desk.why = None
    with pytest.raises(KeyboardInterrupt):
        fire.settle(loaded._replace(notifier=Chain([KilledWhileShowing()])), at(9, 5), lambda *_: [])
    assert rows()[0][1:3] == ("held", f"held: {DND}")
    firing().settle(loaded, at(9, 10), lambda *_: [])
    assert rows()[0][1:3] == ("delivered", f"shown after waiting 10 min: {DND_THEN}")
    assert len(screen.shown) == 1


def test_status_with_no_daemon_says_a_nudge_held_past_hold_for_wont_be_shown(home, config_file):
    config_file.write_text("timezone: UTC\nattention:\n  hold_for: 1m\n")
    loaded, _screen = setting_up(home, plan_of(dtime(9)), Desk())
    firing().settle(loaded, at(9, 0, 1), lambda *_: [])
    said = run("status").stdout
    assert (
        "holding the 09:00 reframe (r0900): Do Not Disturb is on (dunst is paused); it has waited as long as"
        " attention.hold_for allows, and won't be shown\n"
    ) in said


def test_pause_lets_the_waiting_nudge_go_at_once_and_says_so(home, config_file):
    """Even when resumed before the daemon looks again, or with no daemon running."""
    loaded, screen, desk, fire = held_at_nine(home, config_file)
    paused = run("pause", "2h")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.splitlines()[1:] == [
        "The 11:00 nudge that was waiting for a better moment won't come."
    ]
    assert run("resume").returncode == 0
    desk.why = None
    fire.settle(loaded, at(9, 10), lambda *_: [])
    assert screen.shown == []
    (line,) = run("history").stdout.splitlines()
    assert line.endswith(
        "skipped    r0900        reframe   (due Mon 01 Jun 11:00 CEST)"
        " you paused nudges while it waited: Do Not Disturb was on (dunst is paused)"
    ), line


def test_with_push_alongside_the_phone_gets_it_at_its_time_and_the_desktop_the_same_one_later(home):
    desk, phone = Desk(), Screen()
    phone.name = "push"
    desktop = Screen()
    loaded, _ = setting_up(home, plan_of(dtime(9)), desk, Alongside(Chain([desktop]), phone))
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    (sent,) = phone.shown
    assert desktop.shown == [] and rows() == [(NINE, "held", f"held: {DND}", True)]
    desk.why = None
    fire.settle(loaded, at(9, 20), lambda *_: [])
    (shown,) = desktop.shown
    assert shown.body == sent.body and len(phone.shown) == 1  # the phone had it at its time
    assert rows()[0][1:3] == (
        "delivered",
        "shown after waiting 20 min: Do Not Disturb was on (dunst is paused)",
    )


class Refusing(Screen):
    def send(self, notification):
        raise DeliveryError("the notification server refused it")


@pytest.mark.parametrize("zone", [UTC, BERLIN])
def test_now_shown_while_one_is_held_ends_the_held_one_skipped_saying_so(home, zone, caplog):
    caplog.set_level(logging.INFO, logger="kindnudge")
    desk = Desk()
    text = f"timezone: {zone}\nquiet_hours: []\n"
    loaded, screen = setting_up(home, plan_of(dtime(9)), desk, config_text=text)
    fire = firing()
    fire.settle(loaded, at(9, 0, 1), lambda *_: [])
    with State(paths.state_db()) as state:
        failed = by_hand(
            loaded.library,
            loaded.config,
            ["reframe"],
            state,
            Chain([Refusing()]),
            at(9, 5),
            Random(1),
            lambda _: None,
        )
    assert failed.error and [r[:2] for r in rows()] == [(None, "failed"), (NINE, "held")]  # it still comes
    with State(paths.state_db()) as state:
        shown = by_hand(
            loaded.library,
            loaded.config,
            ["reframe"],
            state,
            Chain([screen]),
            at(9, 12),
            Random(1),
            lambda _: None,
        )
    said = "11:12" if zone is BERLIN else "09:12"
    assert shown.error is None and [r[:2] for r in rows()] == [
        (None, "delivered"),
        (NINE, "skipped"),
        (None, "failed"),
    ]
    assert rows()[1] == (NINE, "skipped", f"you asked for one with kindnudge now at {said}", False)
    asked = f"you asked for one with kindnudge now at {said}"
    told = f"skipped the nudge held for {NINE.isoformat()}, rule r0900: {asked}"
    assert told in caplog.messages  # the daemon's log says why the held one never came
    desk.why = None
    fire.settle(loaded, at(9, 13), lambda *_: [])  # the moment clears: nothing more comes
    assert len(screen.shown) == 1 and len(rows()) == 3 and not fire.holding


# The tables exactly as main writes them today (version 4), before a nudge could be held.
VERSION_4 = """
CREATE TABLE bag_seen (
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (kind, message_id)
);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    due TEXT,
    rule TEXT,
    kind TEXT NOT NULL,
    message_id TEXT,
    text TEXT,
    status TEXT NOT NULL
        CHECK (status IN (
            'sending', 'delivered', 'failed', 'skipped', 'interrupted', 'erased', 'kept', 'hidden'
        )),
    reason TEXT
);
CREATE INDEX history_kind_status ON history (kind, status, id);
CREATE TABLE marks (
    message_id TEXT PRIMARY KEY,
    mark TEXT NOT NULL CHECK (mark IN ('favourite', 'hidden'))
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
PRAGMA user_version=4;
"""


def test_a_version_4_state_file_opens_as_version_5_with_its_rows_and_takes_held_ones(home):
    import sqlite3

    from kindnudge.state import SCHEMA_VERSION, HistoryEntry

    db = paths.state_db()
    db.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with sqlite3.connect(db) as old:
        old.executescript(VERSION_4)
        old.execute(
            "INSERT INTO history VALUES (7, '2026-11-27T09:00:01+00:00', '2026-11-27T09:00:00+00:00',"
            " 'morning', 'reframe', 'clarity', 'See it as clarity.', 'kept', 'pressed')"
        )
        old.execute("INSERT INTO marks VALUES ('freedom', 'hidden')")
        old.execute("INSERT INTO meta VALUES ('handled_until', '2026-11-27T09:00:01+00:00')")
        with pytest.raises(sqlite3.IntegrityError):  # what version 4 refuses
            old.execute("INSERT INTO history (at, kind, status) VALUES ('x', 'reframe', 'held')")
    old.close()
    with State(db) as state, state.transaction():
        row = state.record(HistoryEntry(NINE, "morning", "reframe", None, None, "held", f"held: {DND}", NINE))
        assert [r for r, _ in state.held()] == [row]
    with sqlite3.connect(db) as new:
        assert new.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (5,)
        assert new.execute("SELECT id, status, text FROM history ORDER BY id").fetchall() == [
            (7, "kept", "See it as clarity."),
            (row, "held", None),
        ]
        assert new.execute("SELECT * FROM marks").fetchall() == [("freedom", "hidden")]
        assert new.execute("SELECT value FROM meta").fetchall() == [("2026-11-27T09:00:01+00:00",)]
    new.close()
    assert any(
        line.endswith(f"held       morning      reframe   {DND}")
        for line in run("history").stdout.splitlines()
    )


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (
            "attention:\n  respect: [do-not-disturb, meetings]\n",
            "2:29: unknown moment 'meetings'; write some of: do-not-disturb, fullscreen, locked, away"
            " (or [] to never hold)",
        ),
        (
            "attention:\n  respect: true\n",
            "2:12: expected a list of moments to respect, e.g. [do-not-disturb, fullscreen, locked, away],"
            " got true",
        ),
        (
            "attention:\n  away_after: 0\n",
            '2:15: away_after of 0 would count you away all the time; write e.g. "10m"'
            " (it counts only while attention.respect lists away)",
        ),
        (
            "attention:\n  respect: [locked]\n  away_after: 1e9\n",
            '3:15: 1000000000.0 has no unit; away_after takes 0 to 12h: write e.g. "12h"',
        ),
        (
            "attention:\n  hold_for: 1d\n",
            "2:13: hold_for takes 0 to 12h (0: skip a nudge due at a bad moment), got '1d'",
        ),
        ("attention:\n  hold: 2h\n", "2:3: unknown attention setting"),
        (
            "attention:\n  respect:\n",
            "2:11: respect: is empty; list the moments a nudge waits out, e.g. [do-not-disturb, fullscreen,"
            " locked, away], or write [] to never hold one",
        ),
    ],
)
def test_a_wrong_attention_setting_is_one_line_naming_the_place_and_exit_2(config_file, written, said):
    config_file.write_text(written)
    result = run("check")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"kindnudge: {config_file}:{said}")
    assert result.stderr.count("\n") == 1


# -- the daemon: a timer only while something is held, and the desktop's word -----


def test_the_trigger_looks_again_soon_only_while_a_nudge_is_held():
    from kindnudge.daemon import RECHECK, PlanTrigger

    held = [False]
    trigger = PlanTrigger(plan_of(dtime(9)), holding=lambda: held[0])
    now = at(8)
    assert trigger.get_next_fire_time(None, now) == NINE  # idle: the next slot, no wake-up of its own
    held[0] = True
    assert trigger.get_next_fire_time(None, now) == now + RECHECK
    assert (
        trigger.get_next_fire_time(
            None,
            at(
                8,
                59,
                59,
            ),
        )
        == NINE
    )  # a slot first: that slot


class Changed(NamedTuple):
    """Stands in for session.Changed, which the sources' side adds."""

    rule: str


class BusSession:
    def __init__(self, events) -> None:
        self.pending = list(events)
        self.listening: list[str] | None = None

    def events(self):
        taken, self.pending = self.pending, []
        return taken

    def listen_for(self, rules):
        self.listening = list(rules)


class Scheduler:
    def __init__(self) -> None:
        self.asked = []

    def modify_job(self, job, **changes):
        self.asked.append((job, changes))


def test_the_desktop_saying_the_moment_changed_looks_at_a_held_nudge_at_once(home, monkeypatch):
    from kindnudge.daemon import Daemon
    from kindnudge.notify import session

    monkeypatch.setattr(session, "Changed", Changed, raising=False)
    bus = BusSession([Changed("dunst"), Changed("dunst")])
    daemon = Daemon(lambda: None, paths.state_db(), home / "c.yaml", lambda: at(9, 5), session=bus)
    daemon.scheduler = Scheduler()
    daemon._on_bus()  # nothing held: nothing to look at
    assert daemon.scheduler.asked == []
    bus.pending = [Changed("dunst"), Changed("dunst")]
    daemon.firing.holding = True
    daemon._on_bus()
    assert daemon.scheduler.asked == [("nudges", {"next_run_time": at(9, 5)})]  # once for both


def test_the_daemon_hears_the_signals_of_the_sources_it_respects_only_while_one_is_held(home):
    from kindnudge.daemon import Daemon

    class Listening(Desk):
        def signals(self):
            return ["type='signal',member='PropertiesChanged'"]

    bus = BusSession([])
    daemon = Daemon(lambda: None, paths.state_db(), home / "c.yaml", lambda: NINE, session=bus)
    daemon.current, _ = setting_up(home, plan_of(dtime(9)), Listening())
    daemon._listen_for_the_moment()
    assert bus.listening == []  # nothing held: a Do Not Disturb toggled wakes nothing
    daemon.firing.holding = True
    daemon._listen_for_the_moment()
    assert bus.listening == ["type='signal',member='PropertiesChanged'"]
    daemon.current = daemon.current._replace(attention=None)
    daemon._listen_for_the_moment()
    assert bus.listening == []
    daemon.current = daemon.current._replace(attention=Listening())
    daemon.firing.holding = False
    daemon._listen_for_the_moment()
    assert bus.listening == []
