"""Five-field cron expressions ("30 10 * * sat,sun"), for power users' rules.

Only the matching is here; turning wall times into instants (and DST) is the
planner's job, so cron rules follow the same DST policy as every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import MAXYEAR, date, time
from typing import NamedTuple

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # days in each month, leap years included
_CYCLE_YEARS = 400  # the Gregorian calendar, weekdays included, repeats after this
_FIELDS = (  # name, low, high, names (numbered from low)
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


class CronSpec(NamedTuple):
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python's numbering: Monday is 0
    any_day: bool  # day-of-month field was "*"
    any_weekday: bool  # day-of-week field was "*"

    def matches(self, day: date) -> bool:
        """Classic cron: when both day fields are restricted, either may match."""
        if day.month not in self.months:
            return False
        by_day, by_weekday = day.day in self.days, day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def days_from(self, since: date) -> Iterator[date]:
        """The matching days on or after `since`, in order, until the calendar ends.

        Jumps month by month and, when the day of month must match, straight to
        those days, so a rule for 29 February costs a few steps per leap year.
        """
        both_must_match = self.any_day or self.any_weekday
        candidates = sorted(self.days) if both_must_match else range(1, 32)
        months = sorted(self.months)
        found = since.year
        for year in range(since.year, MAXYEAR + 1):
            if year > found + _CYCLE_YEARS:
                return  # nothing in a whole cycle: nothing ever
            for month in months:
                if (year, month) < (since.year, since.month):
                    continue
                length = _month_length(year, month)
                for number in candidates:
                    if number > length:
                        break
                    day = date(year, month, number)
                    if day >= since and self.matches(day):
                        found = year
                        yield day


def parse_cron(text: str) -> CronSpec:
    """Parse or raise ValueError saying which field is wrong and how to write it."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron rule has 5 fields (minute hour day month weekday), got {len(fields)};"
            ' e.g. "30 10 * * sat,sun"'
        )
    values = [_field(f, *spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset((d - 1) % 7 for d in values[4])  # cron 0 and 7 are Sunday
    return CronSpec(
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=weekdays,
        any_day=fields[2].startswith("*"),
        any_weekday=fields[4].startswith("*"),
    )


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    result: set[int] = set()
    for part in text.lower().split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if step < 1:
                raise ValueError
            if body == "*":
                start, end = low, high
            elif "-" in body:
                start, end = (_number(x, names, low) for x in body.split("-", 1))
            else:
                start = _number(body, names, low)
                end = high if step_text else start
        except ValueError:
            raise ValueError(
                f"cron {name} field '{text}' is not valid; e.g. '*', '5', '1-5', '*/15'"
            ) from None
        if not (low <= start <= end <= high):
            raise ValueError(f"cron {name} field '{text}' is out of range {low}-{high}")
        result.update(range(start, end + 1, step))
    return frozenset(result)


def _number(text: str, names: tuple[str, ...], low: int) -> int:
    if text[:3] in names and text.isalpha():
        return names.index(text[:3]) + low
    return int(text)


def _month_length(year: int, month: int) -> int:
    if month != 2:
        return _LONGEST[month - 1]
    return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
