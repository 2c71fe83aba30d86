"""The planner, with an injected clock, checked against an independent oracle,
`systemd-analyze calendar`, for daily times in real zones (cron: test_cron.py)."""

from __future__ import annotations

import itertools
import time as systime
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kindnudge import planner
from kindnudge.cron import parse_cron
from kindnudge.planner import Plan, resolve, rule_days, silenced_rules
from kindnudge.schedule import DAY_NAMES, RandomTimes, Rule

from oracles import needs_systemd, systemd_calendar

UTC = timezone.utc
BOTH = ("reframe", "self-care")

# (zone, spring-forward day, fall-back day) in 2026; Kolkata has neither.
ZONES = [
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)),
    ("Australia/Sydney", date(2026, 10, 4), date(2026, 4, 5)),
    ("Asia/Kolkata", None, None),
]


def daily(*times: str, days=range(7), name="r") -> Rule:
    return Rule(name, BOTH, frozenset(days), at=tuple(time.fromisoformat(t) for t in times))


@needs_systemd
@pytest.mark.parametrize(("zone", "spring", "autumn"), ZONES, ids=[z[0] for z in ZONES])
@pytest.mark.parametrize("clock", ["09:00", "02:30", "01:30", "00:00", "23:59"])
def test_daily_time_matches_systemd_except_inside_the_gap(zone, spring, autumn, clock):
    tz = ZoneInfo(zone)
    plan = Plan((daily(clock),), tz, None)
    base = datetime(2026, 1, 1, tzinfo=tz) - timedelta(seconds=30)
    ours = plan.upcoming(base, 365)
    theirs = systemd_calendar(f"*-*-* {clock}:00 {zone}", base, 365)
    # Exactly once on every calendar day, transition days included.
    assert [s.at.date() for s in ours] == [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    # systemd skips a time inside the spring-forward gap; we fire it after the gap.
    gap_day = [s for s in ours if s.at.timetz().replace(tzinfo=None) != time.fromisoformat(clock)]
    if spring and clock == "02:30":
        assert [(s.at.date(), s.at.strftime("%H:%M")) for s in gap_day] == [(spring, "03:30")]
    else:
        assert gap_day == []
    expected = [s.at.astimezone(UTC) for s in ours if s not in gap_day]
    assert expected == theirs[: len(expected)]


@needs_systemd
@pytest.mark.parametrize("zone", [z[0] for z in ZONES])
def test_weekday_rule_matches_systemd(zone):
    plan = Plan((daily("08:15", days=range(5)),), ZoneInfo(zone), None)
    base = datetime(2026, 2, 20, 12, tzinfo=UTC)
    ours = [s.at.astimezone(UTC) for s in plan.upcoming(base, 120)]
    assert ours == systemd_calendar(f"Mon..Fri *-*-* 08:15:00 {zone}", base, 120)


def test_ambiguous_time_fires_once_at_its_first_occurrence():
    tz = ZoneInfo("America/New_York")
    plan = Plan((daily("01:30"),), tz, None)
    (slot,) = plan.between(datetime(2026, 11, 1, 0, tzinfo=tz), datetime(2026, 11, 2, 0, tzinfo=tz))
    assert slot.at.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


def test_an_ambiguous_wall_time_means_its_first_occurrence_whichever_fold_it_carries():
    tz = ZoneInfo("America/New_York")
    for fold in (0, 1):
        wall = datetime(2026, 11, 1, 1, 30, fold=fold)
        assert resolve(wall, tz).astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.fixture
def machine_zone(monkeypatch):
    """Sets the zone of the machine itself (TZ) for this process, and puts it back after."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        systime.tzset()

    yield set_zone
    monkeypatch.undo()
    systime.tzset()


def random_rule(count=3, start="10:00", end="21:00", gap=90, name="sprinkle") -> Rule:
    spec = RandomTimes(count, time.fromisoformat(start), time.fromisoformat(end), timedelta(minutes=gap))
    return Rule(name, BOTH, frozenset(range(7)), random=spec)


def test_random_draws_keep_count_window_and_gap_every_day():
    tz = ZoneInfo("Europe/Berlin")
    plan = Plan((random_rule(),), tz, None)
    for offset in range(400):
        day = date(2026, 1, 1) + timedelta(days=offset)
        slots = plan.day(day)
        assert len(slots) == 3
        local = [s.at.astimezone(tz) for s in slots]
        assert all(time(10) <= t.time() < time(21) and t.date() == day for t in local)
        assert all(b.at - a.at >= timedelta(minutes=90) for a, b in itertools.pairwise(slots))


def test_random_draws_are_fixed_per_rule_and_date():
    """A restart (a new Plan from the same config) never rolls new draws."""
    tz = ZoneInfo("Asia/Kolkata")
    first = Plan((random_rule(),), tz, None).upcoming(datetime(2026, 5, 1, tzinfo=UTC), 30)
    again = Plan((random_rule(),), tz, None).upcoming(datetime(2026, 5, 1, tzinfo=UTC), 30)
    later = Plan((random_rule(),), tz, None).upcoming(first[10].at - timedelta(seconds=1), 20)
    assert first == again
    assert later == first[10:]
    assert len({s.at.time() for s in first}) > 20, "different days draw different times"
    renamed = Plan((random_rule(name="other"),), tz, None).upcoming(datetime(2026, 5, 1, tzinfo=UTC), 30)
    assert renamed != first


def test_random_window_across_midnight():
    tz = ZoneInfo("UTC")
    plan = Plan((random_rule(count=4, start="22:00", end="02:00", gap=30),), tz, None)
    slots = plan.day(date(2026, 6, 1))
    assert len(slots) == 4
    assert all(
        datetime(2026, 6, 1, 22, tzinfo=tz) <= s.at < datetime(2026, 6, 2, 2, tzinfo=tz) for s in slots
    )


@needs_systemd
@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring", "autumn"])
def test_random_draws_across_a_dst_change_keep_min_gap_in_real_time(day):
    """01:00-04:00 in Berlin lasts two hours in spring and four in autumn: every
    one of 300 rules draws its four moments inside it, 30 real minutes apart."""
    tz = ZoneInfo("Europe/Berlin")
    # The window's real edges, from the oracle: when the clock shows 01:00 and 04:00 that day.
    base = datetime.combine(day, time(), tz)
    (opens,) = systemd_calendar(f"{day} 01:00:00 Europe/Berlin", base, 1)
    (closes,) = systemd_calendar(f"{day} 04:00:00 Europe/Berlin", base, 1)
    assert closes - opens == timedelta(hours=2 if day.month == 3 else 4)
    for n in range(300):
        rule = random_rule(count=4, start="01:00", end="04:00", gap=30, name=f"r{n}")
        slots = Plan((rule,), tz, None).day(day)
        moments = [s.at.astimezone(UTC) for s in slots]
        assert len(moments) == 4, (n, moments)
        assert opens <= moments[0] and moments[-1] < closes, (n, moments)
        assert all(b - a >= timedelta(minutes=30) for a, b in itertools.pairwise(moments)), (n, moments)


def test_a_random_window_inside_the_spring_gap_still_draws_after_it():
    """02:00-03:00 never shows on the clock that night: like a fixed 02:30, its draws
    come as far after the gap's start as they were meant to be in it."""
    tz = ZoneInfo("Europe/Berlin")
    slots = Plan((random_rule(count=2, start="02:00", end="03:00", gap=20),), tz, None).day(date(2026, 3, 29))
    assert len(slots) == 2
    after_gap = datetime(2026, 3, 29, 3, tzinfo=tz), datetime(2026, 3, 29, 4, tzinfo=tz)
    assert all(after_gap[0] <= s.at < after_gap[1] for s in slots)
    assert slots[1].at.astimezone(UTC) - slots[0].at.astimezone(UTC) >= timedelta(minutes=20)


def test_every_minute_of_a_random_window_can_be_drawn_first_to_last():
    """[start, end): 09:00 to 09:04 all come up across rules, and nothing else does."""
    tz = ZoneInfo("UTC")
    drawn = set()
    for n in range(200):
        (slot,) = Plan(
            (random_rule(count=1, start="09:00", end="09:05", gap=1, name=f"r{n}"),), tz, None
        ).day(date(2026, 6, 1))
        drawn.add(slot.at.strftime("%H:%M"))
    assert drawn == {"09:00", "09:01", "09:02", "09:03", "09:04"}


def test_a_spring_night_that_fits_the_draws_exactly_gives_each_its_own_minute():
    """02:00-03:02 in Berlin on 29 March 2026 lasts two real minutes (03:00-03:02):
    two draws take 03:00 and 03:01, not times after the window."""
    tz = ZoneInfo("Europe/Berlin")
    slots = Plan((random_rule(count=2, start="02:00", end="03:02", gap=30),), tz, None).day(date(2026, 3, 29))
    assert [s.at for s in slots] == [
        datetime(2026, 3, 29, 3, 0, tzinfo=tz),
        datetime(2026, 3, 29, 3, 1, tzinfo=tz),
    ]


def test_a_spring_night_shrinks_the_gap_to_what_fits_and_draws_the_same_after_a_restart():
    """Seven draws in 01:00-04:00 (25 minutes apart as written) get two real hours
    that night: 17 minutes apart, inside them, and the same for a new Plan."""
    tz = ZoneInfo("Europe/Berlin")
    day = date(2026, 3, 29)
    opens, closes = datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC)
    for n in range(20):
        rule = random_rule(count=7, start="01:00", end="04:00", gap=25, name=f"r{n}")
        slots = Plan((rule,), tz, None).day(day)
        moments = [s.at.astimezone(UTC) for s in slots]
        assert len(moments) == 7 and opens <= moments[0] and moments[-1] < closes, (n, moments)
        assert all(b - a >= timedelta(minutes=17) for a, b in itertools.pairwise(moments)), (n, moments)
        assert Plan((rule,), tz, None).day(day) == slots


def test_quiet_hours_judge_a_spring_night_draw_by_the_schedule_clock():
    """Quiet 03:00-04:00 in Berlin silences the draws the clock shows at 03:xx that
    night and keeps those at 01:xx, whatever zone the machine itself is in."""
    tz = ZoneInfo("Europe/Berlin")
    day = date(2026, 3, 29)
    silenced = 0
    for n in range(10):
        rule = random_rule(count=4, start="01:00", end="04:00", gap=30, name=f"r{n}")
        every = Plan((rule,), tz, None).day(day)
        kept = Plan((rule,), tz, (time(3), time(4))).day(day)
        assert kept == [s for s in every if s.at.astimezone(tz).hour == 1], n
        silenced += len(every) - len(kept)
    assert silenced > 0


def test_quiet_hours_skip_times_inside_them():
    tz = ZoneInfo("Europe/Berlin")
    quiet = (time(22), time(7))
    plan = Plan((daily("06:59", "07:00", "21:59", "22:00", "03:00"),), tz, quiet)
    slots = plan.day(date(2026, 6, 1))
    assert [s.at.strftime("%H:%M") for s in slots] == ["07:00", "21:59"]


def test_daytime_quiet_hours_start_at_their_first_minute_and_end_before_their_last():
    plan = Plan((daily("11:59", "12:00", "13:59", "14:00"),), ZoneInfo("UTC"), (time(12), time(14)))
    assert [s.at.strftime("%H:%M") for s in plan.day(date(2026, 6, 1))] == ["11:59", "14:00"]


def test_quiet_hours_apply_to_the_time_after_a_dst_shift():
    tz = ZoneInfo("Europe/Berlin")
    plan = Plan((daily("02:30"),), tz, (time(3), time(4)))
    assert plan.day(date(2026, 3, 29)) == []  # 02:30 doesn't exist; 03:30 is quiet
    assert len(plan.day(date(2026, 3, 30))) == 1


def test_rules_due_in_the_same_minute_share_one_nudge_named_for_each():
    """One nudge, not two at once, and no rule left out of it: `next` and the
    history row name both, in the schedule's order, and it draws from both kinds."""
    zeta = Rule("zeta", ("reframe",), frozenset(range(7)), at=(time(9),))
    alpha = Rule("alpha", ("self-care",), frozenset(range(7)), at=(time(9), time(12)))
    plan = Plan((zeta, alpha), ZoneInfo("UTC"), None)
    expected = [(9, "zeta + alpha", ("reframe", "self-care")), (12, "alpha", ("self-care",))]
    assert [(s.at.hour, s.rule, s.kinds) for s in plan.day(date(2026, 6, 1))] == expected
    start = datetime(2026, 6, 1, tzinfo=UTC)
    assert [(s.at.hour, s.rule, s.kinds) for s in plan.upcoming(start, 2)] == expected


def test_a_rule_whose_two_times_meet_in_the_spring_gap_stays_one_rule():
    """02:30 and 03:30 are both 03:30 on the night the clocks go forward."""
    plan = Plan((daily("02:30", "03:30", name="night"),), ZoneInfo("Europe/Berlin"), None)
    (slot,) = plan.day(date(2026, 3, 29))
    assert (slot.at.strftime("%H:%M"), slot.rule, slot.kinds) == ("03:30", "night", BOTH)


def test_the_plan_runs_to_the_end_of_the_last_year_in_the_schedule_s_own_zone():
    """West of UTC, 31 Dec 9000's evening comes after 9001 has begun in UTC."""
    plan = Plan((daily("23:00"),), ZoneInfo("Etc/GMT+12"), None)  # UTC-12
    end_in_utc = datetime(planner.LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    (last,) = plan.after(end_in_utc)
    assert last.at.isoformat() == "9000-12-31T23:00:00-12:00"
    assert list(plan.after(last.at)) == []
    assert list(plan.after(datetime(9999, 12, 31, tzinfo=UTC))) == []


def test_between_is_after_start_up_to_and_including_end():
    tz = ZoneInfo("UTC")
    plan = Plan((daily("09:00", "12:00"),), tz, None)
    nine = datetime(2026, 6, 1, 9, tzinfo=tz)
    assert [s.at.hour for s in plan.between(nine, nine + timedelta(hours=3))] == [12]
    assert [s.at.hour for s in plan.between(nine - timedelta(seconds=1), nine)] == [9]


def test_weekend_days_only():
    plan = Plan((daily("10:00", days={5, 6}),), ZoneInfo("UTC"), None)
    slots = plan.upcoming(datetime(2026, 6, 1, tzinfo=UTC), 6)
    assert {DAY_NAMES[s.at.weekday()] for s in slots} == {"sat", "sun"}


def test_a_rare_rule_is_never_given_up_on_beside_a_silenced_one():
    """Each rule has its own horizon: a rule always in quiet hours does not end the others."""
    silenced = daily("23:00", name="late")
    leap = Rule("leap", BOTH, cron=parse_cron("0 9 29 2 *"))
    plan = Plan((silenced, leap), ZoneInfo("Europe/Berlin"), (time(22), time(7)))
    slots = plan.upcoming(datetime(2026, 3, 1, tzinfo=UTC), 20)
    assert [(s.rule, s.at.year) for s in slots] == [("leap", y) for y in [*range(2028, 2100, 4), 2104, 2108]]


def test_a_rule_always_in_quiet_hours_ends_the_plan():
    plan = Plan((daily("23:00"),), ZoneInfo("UTC"), (time(22), time(7)))
    assert plan.upcoming(datetime(2026, 1, 1, tzinfo=UTC), 3) == []


def test_a_rule_always_quiet_in_the_schedule_zone_is_silenced_whatever_the_machine_zone(machine_zone):
    """02:30 inside quiet hours 02:00-03:00 in UTC is silent every night. In Berlin it
    would move to 03:30 one night a year, but the machine's zone has no say."""
    machine_zone("Europe/Berlin")
    plan = Plan(
        (daily("02:30", name="night"), daily("09:00", name="day")), ZoneInfo("UTC"), (time(2), time(3))
    )
    assert silenced_rules(plan, datetime(2026, 1, 1, tzinfo=UTC)) == ["night"]


def test_a_day_none_of_a_rules_days_plans_nothing_for_it():
    plan = Plan((daily("09:00"), daily("10:00", days={5, 6})), ZoneInfo("UTC"), None)
    assert [s.at.hour for s in plan.day(date(2026, 6, 1))] == [9]  # a Monday
    never = Plan((daily("09:00", days=()),), ZoneInfo("UTC"), None)
    assert never.upcoming(datetime(2026, 6, 1, tzinfo=UTC), 1) == []


def test_a_rule_is_given_up_on_after_exactly_so_many_silent_days_of_its_own(monkeypatch):
    """02:30 in quiet hours 02:00-03:00 is heard once a year, at 03:30 on the spring
    night. Seen from Thursday noon, four of its days are silent first (the day
    before is looked at too, for moments past midnight)."""
    plan = Plan((daily("02:30"),), ZoneInfo("Europe/Berlin"), (time(2), time(3)))
    thursday = datetime(2026, 3, 26, 12, tzinfo=UTC)
    monkeypatch.setattr(planner, "_GIVE_UP_AFTER_SILENT_DAYS", 5)
    (slot,) = plan.upcoming(thursday, 1)
    assert slot.at.isoformat() == "2026-03-29T03:30:00+02:00"
    monkeypatch.setattr(planner, "_GIVE_UP_AFTER_SILENT_DAYS", 4)
    assert plan.upcoming(thursday, 1) == []


def test_only_silent_days_in_a_row_count_towards_giving_up(monkeypatch):
    """A random draw that lands in quiet hours about every other day keeps its rule:
    a day it is heard starts the count again."""
    monkeypatch.setattr(planner, "_GIVE_UP_AFTER_SILENT_DAYS", 3)
    first = date(2026, 6, 1)
    days = [first + timedelta(days=i) for i in range(20)]
    for n in range(200):
        rule = random_rule(count=1, start="09:00", end="11:00", gap=1, name=f"r{n}")
        plan = Plan((rule,), ZoneInfo("UTC"), (time(10), time(11)))
        heard = "".join("h" if plan.day(day) else "-" for day in days)
        if heard.startswith("h") and "---" not in heard and "h--h" in heard:
            break
    else:
        pytest.fail("no rule name is heard, silent twice, then heard again")
    start = datetime.combine(first, time(), UTC)
    assert plan.between(start, start + timedelta(days=20)) == [s for day in days for s in plan.day(day)]


def test_a_day_whose_draws_run_past_the_next_days_first_ones_still_plans_in_order():
    """A window from 03:00 to 02:30 ends, on the eve of the spring change, in the
    gap: its last draws move to 03:00-03:30, where the next day's first ones are.
    A minute both days drew is one nudge."""
    tz = ZoneInfo("Europe/Berlin")
    eve, spring = date(2026, 3, 28), date(2026, 3, 29)
    start, end = datetime.combine(eve, time(), tz), datetime.combine(spring, time(23), tz)
    crossed = 0
    for n in range(40):
        plan = Plan((random_rule(count=20, start="03:00", end="02:30", gap=1, name=f"r{n}"),), tz, None)
        drawn = [s for day in (eve - timedelta(days=1), eve, spring) for s in plan.day(day)]
        crossed += plan.day(eve)[-1].at > plan.day(spring)[0].at
        assert plan.between(start, end) == sorted({s for s in drawn if start < s.at <= end})  # one per minute
    assert crossed > 0, "no rule's draws crossed: the test shows nothing"


def test_the_planner_visits_only_the_days_a_rule_names():
    leap = Rule("leap", BOTH, cron=parse_cron("0 9 29 2 */3"))  # 29 February on a Sun, Wed or Sat
    assert list(itertools.islice(rule_days(leap, date(2026, 1, 1)), 4)) == [
        date(2032, 2, 29),
        date(2040, 2, 29),
        date(2048, 2, 29),
        date(2060, 2, 29),
    ]
    weekends = daily("10:00", days={5, 6})
    assert list(itertools.islice(rule_days(weekends, date(2026, 6, 1)), 3)) == [
        date(2026, 6, 6),
        date(2026, 6, 7),
        date(2026, 6, 13),
    ]
