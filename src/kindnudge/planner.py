"""When nudges come: rules + time zone + quiet hours -> moments. Pure.

One Plan serves `kindnudge next`, `status` and the daemon, so what `next`
shows is exactly what fires. DST policy, for every kind of rule:

- a wall time that doesn't exist that day (spring-forward gap) fires as far
  after the gap's start as it was meant to be: 02:30 becomes 03:30;
- an ambiguous wall time (fall-back overlap) fires once, at its first
  occurrence.

Quiet hours are checked on the wall time the slot really fires at. Rules that
ask for the same minute share one nudge, named for all of them: two at once
would only crowd the screen, and neither rule goes unrecorded.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from random import Random
from typing import NamedTuple
from zoneinfo import ZoneInfo

from kindnudge.schedule import TOGETHER, RandomTimes, Rule

# A rule's own days in a row with every time in quiet hours: it is silenced for
# good. More than a year of days, so a time moved out of quiet hours by DST
# still counts. Rules that can never match are refused when the config is read.
_GIVE_UP_AFTER_SILENT_DAYS = 800
# The years plans cover. Near year 1 or 9999, date arithmetic and time zone
# conversion overflow; a moment outside (a pause saved by an older version,
# say) plans as if at the edge instead of crashing.
FIRST_YEAR, LAST_YEAR = 1971, 9000
_START = datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc)
_END = datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc)


class Slot(NamedTuple):
    at: datetime  # aware, in the plan's zone
    rule: str  # the rule's name; "a + b" when rules share the minute
    kinds: tuple[str, ...]


def together(slots: Iterable[Slot]) -> Slot:
    """One slot for rules due at the same moment: their names in the schedule's
    order, drawing from every kind they ask for."""
    first, *others = slots = list(slots)
    if not others:
        return first
    rules = dict.fromkeys(s.rule for s in slots)
    kinds = dict.fromkeys(k for s in slots for k in s.kinds)
    return Slot(first.at, TOGETHER.join(rules), tuple(kinds))


def in_quiet_hours(moment: time, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """Wall time -> the real moment, by the DST policy above (fold=0 does both)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).astimezone(tz)


def random_offsets(count: int, window: timedelta, min_gap: timedelta, seed: str) -> list[timedelta]:
    """`count` minutes in `window`, `min_gap` apart, fixed by `seed`.

    Draw sorted points in the window shrunk by the gaps, then spread them out
    again: every valid arrangement is equally likely.
    """
    rng = Random(seed)  # a str seed goes through SHA-512: the same on every run and machine
    minute = timedelta(minutes=1)
    gap = min_gap // minute
    slack = window // minute - (count - 1) * gap - 1
    points = sorted(rng.randint(0, slack) for _ in range(count))
    return [(point + i * gap) * minute for i, point in enumerate(points)]


def random_moments(name: str, spec: RandomTimes, day: date, tz: ZoneInfo) -> list[datetime]:
    """A random rule's moments on `day`, `min_gap` apart in real time.

    A spring-forward gap makes the window shorter than written: the draws are
    made in the time that really passes in it, so none land on the same real
    minutes as a time the gap moved. Otherwise they are wall times (an autumn
    overlap only spreads them further apart, and none lands in its second pass).
    """
    start = datetime.combine(day, spec.start)
    seed = f"{name}|{spec}|{day.isoformat()}"
    opens = resolve(start, tz).astimezone(timezone.utc)
    window = resolve(start + spec.window, tz).astimezone(timezone.utc) - opens
    if timedelta(minutes=spec.count) <= window < spec.window:
        gap = min(spec.min_gap, window // spec.count)  # shrunk as when the config is read
        return [(opens + offset).astimezone(tz) for offset in random_offsets(spec.count, window, gap, seed)]
    # A window inside the gap moves after it, as a fixed 02:30 does.
    offsets = random_offsets(spec.count, spec.window, spec.min_gap, seed)
    return [resolve(start + offset, tz) for offset in offsets]


def rule_days(rule: Rule, since: date) -> Iterator[date]:
    """The days on or after `since` on which `rule` asks for anything, in order."""
    if rule.cron:
        yield from rule.cron.days_from(since)
        return
    day = since
    with contextlib.suppress(OverflowError):  # the calendar ends in 9999
        while True:
            if day.weekday() in rule.days:
                yield day
            day += timedelta(days=1)


def moments(rule: Rule, day: date, tz: ZoneInfo) -> list[datetime]:
    """The moments a rule asks for on `day` (possibly past midnight), by the DST policy."""
    if rule.cron:
        walls = [datetime.combine(day, t) for t in rule.cron.times()] if rule.cron.matches(day) else []
    elif day.weekday() not in rule.days:
        walls = []
    elif rule.random:
        return random_moments(rule.name, rule.random, day, tz)
    else:
        walls = [datetime.combine(day, t) for t in rule.at]
    return [resolve(wall, tz) for wall in walls]


class Plan(NamedTuple):
    rules: tuple[Rule, ...]
    tz: ZoneInfo
    quiet: tuple[time, time] | None

    def day(self, day: date) -> list[Slot]:
        """Slots the rules draw for `day`, in order, one per moment, none in quiet hours."""
        slots: dict[datetime, list[Slot]] = {}
        for rule in self.rules:
            for at in moments(rule, day, self.tz):
                if not in_quiet_hours(at.timetz().replace(tzinfo=None), self.quiet):
                    slots.setdefault(at, []).append(Slot(at, rule.name, rule.kinds))
        return [together(slots[at]) for at in sorted(slots)]

    def after(self, moment: datetime) -> Iterator[Slot]:
        """Every slot strictly after `moment`, in order, for as long as asked
        (and the calendar lasts: nothing after LAST_YEAR in the schedule's zone)."""
        if moment >= _END + timedelta(days=1):  # past 9000 in every zone; later ones would overflow
            return
        moment = max(moment, _START)
        streams = [self._rule_after(rule, moment) for rule in self.rules]
        merged = heapq.merge(*streams, key=lambda s: s.at)  # ties in the schedule's order
        for _, tied in itertools.groupby(merged, key=lambda s: s.at):
            yield together(tied)

    def _rule_after(self, rule: Rule, moment: datetime) -> Iterator[Slot]:
        """One rule's slots after `moment`, in order, visiting only the days it names.

        It ends only when the rule stays silent (quiet hours) on many of its
        days in a row, or the calendar ends: a rare rule, such as 29 February,
        is never given up on for being rare.
        """
        one = Plan((rule,), self.tz, self.quiet)
        days = rule_days(rule, moment.astimezone(self.tz).date() - timedelta(days=1))
        day = next(days, None)
        pending: list[Slot] = []
        silent_days = 0
        while day is not None and day < _END.date() and silent_days < _GIVE_UP_AFTER_SILENT_DAYS:
            fresh = [s for s in one.day(day) if s.at > moment]
            silent_days = 0 if fresh else silent_days + 1
            pending = sorted(pending + fresh, key=lambda s: s.at)
            day = next(days, None)
            settled = resolve(datetime.combine(day, time()), self.tz) if day else None
            while pending and (settled is None or pending[0].at < settled):  # later days come after
                yield pending.pop(0)
        yield from pending

    def upcoming(self, moment: datetime, count: int) -> list[Slot]:
        slots = []
        for slot in self.after(moment):
            slots.append(slot)
            if len(slots) >= count:
                break
        return slots

    def between(self, start: datetime, end: datetime) -> list[Slot]:
        """Slots with start < at <= end: what came due in that span."""
        slots = []
        for slot in self.after(start):
            if slot.at > end:
                break
            slots.append(slot)
        return slots


def kind_label(kinds: tuple[str, ...]) -> str:
    return kinds[0] if len(kinds) == 1 else "any"


def silenced_rules(plan: Plan, moment: datetime) -> list[str]:
    """Rules that would fire, but always inside quiet hours: worth a warning."""
    return [
        rule.name
        for rule in plan.rules
        if Plan((rule,), plan.tz, None).upcoming(moment, 1)
        and not Plan((rule,), plan.tz, plan.quiet).upcoming(moment, 1)
    ]
