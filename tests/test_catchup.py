"""Catch-up policy and the daemon's settle step, driven by an injected clock."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta, timezone
from random import Random
from zoneinfo import ZoneInfo

import pytest

from kindnudge import paths
from kindnudge.catchup import Decision, decide
from kindnudge.config import load_config
from kindnudge.daemon import Daemon, Loaded
from kindnudge.errors import DeliveryError
from kindnudge.library import load_all
from kindnudge.notify import Chain
from kindnudge.planner import Plan, Slot
from kindnudge.state import HANDLED_UNTIL, PAUSED_UNTIL, State

UTC = timezone.utc
T = datetime(2026, 6, 1, 12, tzinfo=UTC)


def slot(hours: float) -> Slot:
    return Slot(T + timedelta(hours=hours), f"r{hours}", ("reframe",))


def test_on_time_is_shown_even_with_catch_up_off():
    decision = decide([slot(0)], T + timedelta(seconds=0.5), timedelta(0), None, None)
    assert decision.show == slot(0) and decision.skip == ()


def test_only_the_latest_missed_one_is_caught_up():
    decision = decide([slot(-5), slot(-3), slot(-1)], T, timedelta(hours=2), None, None)
    assert decision.show == slot(-1)
    assert [s for s, _ in decision.skip] == [slot(-5), slot(-3)]


def test_too_old_is_skipped_with_a_reason():
    decision = decide([slot(-3)], T, timedelta(hours=2), None, None)
    assert decision.show is None
    assert decision.skip == ((slot(-3), "missed by 3h00m, more than catch_up allows"),)


def test_a_skip_an_hour_late_or_more_says_hours_and_minutes():
    """Under an hour in minutes; from an hour on as 1h00m, as a person reads a clock."""
    reasons = [
        decide([slot(-minutes / 60)], T, timedelta(0), None, None).skip[0][1] for minutes in (59, 60, 61)
    ]
    assert [r.removesuffix(", more than catch_up allows") for r in reasons] == [
        "missed by 59m",
        "missed by 1h00m",
        "missed by 1h01m",
    ]


def test_a_pause_ends_at_its_moment_and_a_minute_late_is_still_on_time():
    # a pause until 12:00 lets the 12:00 nudge through, and an 11:00 one it did not cover is a catch-up
    decision = decide([slot(-1), slot(0)], T, timedelta(hours=2), None, T - timedelta(hours=1))
    assert decision.show == slot(0)
    assert decision.skip == ((slot(-1), "missed; only the latest missed one (12:00) is shown"),)
    assert decide([slot(0)], T, timedelta(hours=2), None, T).show == slot(0)
    # fired exactly a minute late, as quiet hours begin: on time, not a catch-up into quiet hours
    on_the_minute = decide([slot(-1 / 60)], T, timedelta(0), (time(12), time(13)), None)
    assert on_the_minute.show == slot(-1 / 60) and on_the_minute.skip == ()


def test_when_none_is_shown_the_older_ones_are_not_said_to_be_caught_up():
    decision = decide([slot(-5), slot(-3)], T, timedelta(hours=2), None, None)
    assert decision.show is None
    assert decision.skip == (
        (slot(-5), "missed"),
        (slot(-3), "missed by 3h00m, more than catch_up allows"),
    )


def test_a_catch_up_makes_way_for_a_nudge_due_within_five_minutes_and_an_on_time_one_does_not():
    """Waking at 11:59:30 with 11:30 missed and 12:00 coming: one nudge, not two 30 s apart."""
    woke = T - timedelta(seconds=30)
    missed = Slot(T - timedelta(minutes=30), "b", ("reframe",))
    decision = decide([missed], woke, timedelta(hours=2), None, None, next_due=T)
    assert decision == Decision(skip=((missed, "missed; the next nudge, due 30 s later, comes instead"),))
    at_five = decide([missed], woke, timedelta(hours=2), None, None, next_due=woke + timedelta(minutes=5))
    assert at_five.show is None
    past_five = woke + timedelta(minutes=5, seconds=1)
    assert decide([missed], woke, timedelta(hours=2), None, None, next_due=past_five).show == missed
    on_time = Slot(woke - timedelta(seconds=60), "a", ("reframe",))  # a minute late is still on time
    assert decide([on_time], woke, timedelta(hours=2), None, None, next_due=T).show == on_time


def test_catch_up_zero_turns_it_off():
    assert decide([slot(-0.1)], T, timedelta(0), None, None).show is None


def test_no_catch_up_into_quiet_hours():
    decision = decide([slot(-1)], T, timedelta(hours=2), (time(11, 30), time(13)), None)
    assert decision.show is None and decision.skip[0][1] == "missed, and it is quiet hours now"


def test_paused_slots_are_skipped_as_paused():
    decision = decide([slot(-1), slot(0)], T, timedelta(hours=2), None, T + timedelta(hours=1))
    assert decision.show is None
    assert [r for _, r in decision.skip] == ["paused", "paused"]


class RecordingNotifier:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list = []
        self.fail: str | None = None

    def send(self, notification) -> None:
        if self.fail:
            raise DeliveryError(self.fail)
        self.sent.append(notification)

    def describe(self) -> str:
        return "records"


@pytest.fixture
def daemon(tmp_path):
    return berlin_daemon(
        tmp_path,
        "timezone: Europe/Berlin\nquiet_hours: ['22:00', '02:00']\ncatch_up: 2h\nschedule:\n"
        "  - {name: morning, at: '09:00', kind: reframe}\n"
        "  - {name: night, at: '02:30', kind: self-care}\n"
        "  - {name: spread, random: 3, between: ['10:00', '21:00'], min_gap: 90m, kind: self-care}\n"
        "  - {name: weekend, cron: '30 10 * * sat,sun'}\n",
    )


def berlin_daemon(tmp_path, text: str) -> Daemon:
    """A daemon on this config, its clock in `clock_box["now"]` (from 1 March 2026)."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    config = load_config(path, required=True)
    plan = Plan(config.schedule, ZoneInfo("Europe/Berlin"), config.quiet_hours)
    notifier = RecordingNotifier()
    clock = {"now": datetime(2026, 3, 1, 0, 0, tzinfo=UTC)}
    loaded = Loaded(config, load_all(paths.builtin_packs_dir(), []), plan, Chain([notifier]))
    d = Daemon(lambda: loaded, paths.state_db(), None, clock=lambda: clock["now"], rng=Random(5))
    d.current = loaded
    d.notifier, d.clock_box = notifier, clock
    return d


def test_thirty_days_woken_as_the_scheduler_would(daemon):
    """An accelerated month across a DST change, woken at each planned moment
    (a little late, as a real scheduler is): exactly the count each day that
    the rules promise, no repeat within a bag cycle, nothing in quiet hours."""
    start = daemon.clock_box["now"]
    daemon.settle()
    end, jitter = start + timedelta(days=30), Random(1)
    while True:
        (following,) = daemon.current.plan.upcoming(daemon.clock_box["now"], 1)
        if following.at > end:
            break
        daemon.clock_box["now"] = following.at + timedelta(seconds=jitter.uniform(0, 2))
        daemon.settle()
    with State(paths.state_db()) as state:
        entries = list(reversed(state.history(10_000)))
    assert {e.status for e in entries} == {"delivered"}
    # Worked by hand: Berlin is UTC+1 until 01:00 UTC on Sunday 29 March, UTC+2 after.
    # 02:30 doesn't exist that night: it comes at 03:30 CEST, which is 01:30 UTC again.
    expected = []
    for day in range(1, 31):
        offset = 1 if day < 29 else 2
        night = 1 if day <= 29 else 0  # 02:30 at UTC+1, or 03:30 at UTC+2 on the 29th: 01:30 UTC
        expected.append((datetime(2026, 3, day, night, 30, tzinfo=UTC), "night"))
        expected.append((datetime(2026, 3, day, 9 - offset, tzinfo=UTC), "morning"))
        if day in (1, 7, 8, 14, 15, 21, 22, 28, 29):  # the weekends of March 2026
            expected.append((datetime(2026, 3, day, 10 - offset, 30, tzinfo=UTC), "weekend"))
    assert [(e.due, e.rule) for e in entries if e.rule != "spread"] == sorted(expected)
    zone = ZoneInfo("Europe/Berlin")
    per_day: dict = {}
    for e in entries:
        local = e.at.astimezone(zone)
        assert time(2) <= local.time() < time(22)
        per_day.setdefault(local.date(), []).append(e)
    assert sorted(per_day) == [datetime(2026, 3, day).date() for day in range(1, 31)]
    for day, done in per_day.items():
        spread = [e.due for e in done if e.rule == "spread"]
        assert len(spread) == 3 and all(b - a >= timedelta(minutes=90) for a, b in itertools.pairwise(spread))
        assert all(time(10) <= d.astimezone(zone).time() < time(21) for d in spread), day
        assert len(done) == (6 if day.weekday() >= 5 else 5), day
    for kind in ("reframe", "self-care"):
        ids = [e.message_id for e in entries if e.kind == kind]
        cycle = len(daemon.current.library.of_kind(kind))
        for i in range(0, len(ids), cycle):
            assert len(set(ids[i : i + cycle])) == len(ids[i : i + cycle])


def test_clock_going_back_never_repeats(daemon):
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    daemon.settle()
    daemon.clock_box["now"] = datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)  # 09:00 Berlin
    daemon.settle()
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # back an hour
    daemon.settle()
    daemon.clock_box["now"] = datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)
    daemon.settle()
    assert len(daemon.notifier.sent) == 1


def test_a_clock_set_right_after_running_ahead_brings_the_nudges_it_never_showed(daemon):
    """The clock ran two days ahead, then was set right: nothing of those two
    days was ever due for real, so each nudge comes when its time comes round,
    and the one that was shown in the wrong future does not come again."""
    clock = daemon.clock_box
    clock["now"] = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # ahead: 08:00 Berlin on the 4th
    daemon.settle()
    clock["now"] = datetime(2026, 3, 4, 8, 0, 2, tzinfo=UTC)  # 09:00 on the 4th: shown
    daemon.settle()
    clock["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # set right: the 2nd
    daemon.settle()
    for day in (2, 3, 4):
        clock["now"] = datetime(2026, 3, day, 8, 0, 2, tzinfo=UTC)  # 09:00 Berlin
        daemon.settle()
    with State(paths.state_db()) as state:
        entries = state.history(100)
    mornings = [(e.due.day, e.status) for e in entries if e.rule == "morning"]
    assert sorted(mornings) == [(2, "delivered"), (3, "delivered"), (4, "delivered")]
    dues = [e.due for e in entries]
    assert len(dues) == len(set(dues)), "one row a slot"
    assert datetime(2026, 3, 4, 1, 30, tzinfo=UTC) in dues, "the 4th's night, never due before, has its row"
    assert len(daemon.notifier.sent) == 3, "the 4th's, once, and the 2nd's and 3rd's"


def test_a_failed_delivery_is_recorded_and_not_counted_as_seen(daemon):
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    daemon.settle()
    daemon.notifier.fail = "no notification service"
    daemon.clock_box["now"] = datetime(2026, 3, 2, 8, 0, 1, tzinfo=UTC)
    daemon.settle()
    with State(paths.state_db()) as state:
        (entry,) = state.history(5)
        assert (entry.status, entry.reason, entry.rule) == (
            "failed",
            "no notification service; tried recording",
            "morning",
        )
        assert state.seen("reframe") == set()
        assert state.get_moment(HANDLED_UNTIL) == daemon.clock_box["now"]


def test_quiet_hours_at_wake_up_are_the_schedule_zone_s():
    """Berlin in winter is UTC+1: waking at 22:15 there (21:15 UTC) is quiet; at
    07:30 (06:30 UTC) it is not, though both would be the other way in UTC."""
    berlin, quiet = ZoneInfo("Europe/Berlin"), (time(22), time(7))
    missed = Slot(datetime(2026, 1, 5, 21, 30, tzinfo=berlin), "evening", ("reframe",))
    woke = datetime(2026, 1, 5, 21, 15, tzinfo=UTC)
    decision = decide([missed], woke, timedelta(hours=2), quiet, None)
    assert decision.skip == ((missed, "missed, and it is quiet hours now"),)
    early = Slot(datetime(2026, 1, 6, 6, 45, tzinfo=berlin), "early", ("reframe",))
    woke = datetime(2026, 1, 6, 6, 30, tzinfo=UTC)
    assert decide([early], woke, timedelta(hours=2), quiet, None) == Decision(show=early)


@pytest.mark.parametrize(("late_s", "shown"), [(59, True), (60, True), (61, False)])
def test_catch_up_zero_through_the_daemon_still_shows_a_nudge_up_to_60_s_late(tmp_path, late_s, shown):
    daemon = berlin_daemon(
        tmp_path, "timezone: Europe/Berlin\ncatch_up: 0\nschedule:\n  - {name: morning, at: '09:00'}\n"
    )
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    daemon.settle()
    nine = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    daemon.clock_box["now"] = nine + timedelta(seconds=late_s)
    daemon.settle()
    with State(paths.state_db()) as state:
        (entry,) = state.history(5)
    assert entry.due == nine and len(daemon.notifier.sent) == int(shown)
    if shown:
        assert entry.status == "delivered"
    else:
        assert (entry.status, entry.reason) == ("skipped", "missed by 1m, more than catch_up allows")


def test_a_pause_ends_by_itself_and_the_next_nudge_comes(daemon):
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    daemon.settle()
    until = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(PAUSED_UNTIL, until)  # as `pause` does; no `resume` follows
    (after,) = daemon.current.plan.upcoming(until, 1)
    daemon.clock_box["now"] = after.at + timedelta(seconds=1)
    daemon.settle()
    with State(paths.state_db()) as state:
        entries = list(reversed(state.history(10)))
    assert [(e.rule, e.status) for e in entries] == [("morning", "skipped"), (after.rule, "delivered")]
    assert entries[0].reason == "paused" and len(daemon.notifier.sent) == 1


def test_a_pause_set_from_the_cli_is_honoured(daemon):
    daemon.clock_box["now"] = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    daemon.settle()
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(PAUSED_UNTIL, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    daemon.clock_box["now"] = datetime(2026, 3, 2, 8, 0, 1, tzinfo=UTC)
    daemon.settle()
    assert daemon.notifier.sent == []
    with State(paths.state_db()) as state:
        assert state.history(1)[0].reason == "paused"
