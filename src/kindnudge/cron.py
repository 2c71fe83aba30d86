"""Five-field cron expressions ("30 10 * * sat,sun"), for power users' rules.

Read as Vixie cron reads them, so a rule copied from a crontab means the same
here: ASCII numbers, three-letter English names, `*`, ranges, steps, lists and
the @ aliases; anything else is refused with the reason. Only the matching is
here; turning wall times into instants (and DST) is the planner's job, so cron
rules follow the same DST policy as every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import MAXYEAR, date, time
from typing import NamedTuple

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # days in each month, leap years included
_CYCLE_YEARS = 400  # the Gregorian calendar, weekdays included, repeats after this
_FIELDS = (  # name, low, high, names (numbered from low), what a name is
    ("minute", 0, 59, (), ""),
    ("hour", 0, 23, (), ""),
    ("day of month", 1, 31, (), ""),
    ("month", 1, 12, _MONTHS, "a month"),
    ("day of week", 0, 7, _DAYS, "a day"),
)
_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_EXAMPLE = "e.g. '*', '5', '1-5', '*/15', '1,15'"


class CronSpec(NamedTuple):
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python's numbering: Monday is 0
    any_day: bool  # day-of-month field starts with "*"
    any_weekday: bool  # day-of-week field starts with "*"

    def matches(self, day: date) -> bool:
        """Vixie cron: when both day fields are restricted, either may match."""
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
                return  # nothing in a whole cycle: nothing ever (parse_cron refuses such rules)
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
    """Parse or raise ValueError saying what is wrong and how to write it."""
    word = text.strip().lower()
    if word == "@reboot":
        raise ValueError(
            "@reboot has no time of day: kindnudge is not started by cron;"
            " use `kindnudge autostart enable` to start it when you log in"
        )
    if word.startswith("@"):
        if word not in _ALIASES:
            raise ValueError(
                f"unknown cron alias '{text.strip()}'; write @hourly, @daily, @weekly, @monthly"
                ' or @yearly, or five fields such as "30 10 * * sat,sun"'
            )
        text = _ALIASES[word]
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron rule has 5 fields (minute hour day month weekday), got {len(fields)};"
            ' e.g. "30 10 * * sat,sun"'
        )
    values = [_field(f, *spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    spec = CronSpec(
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=frozenset((d - 1) % 7 for d in values[4]),  # cron 0 and 7 are Sunday
        any_day=fields[2].startswith("*"),
        any_weekday=fields[4].startswith("*"),
    )
    _check_day_exists(spec)
    return spec


def _check_day_exists(spec: CronSpec) -> None:
    """A day of month that no chosen month has would never fire: say so now.

    Only when the day of month must match; otherwise any chosen weekday comes.
    Every existing date falls on every weekday within the calendar's cycle.
    """
    if not (spec.any_day or spec.any_weekday):
        return
    if any(day <= _LONGEST[month - 1] for month in spec.months for day in spec.days):
        return
    days = _or_list([str(day) for day in sorted(spec.days)])
    months = _or_list([_MONTH_NAMES[month - 1] for month in sorted(spec.months)])
    longest = max(_LONGEST[month - 1] for month in spec.months)
    raise ValueError(
        f"this cron rule would never fire: there is no {days} {months}; write a day from 1 to {longest}"
    )


def _or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _month_length(year: int, month: int) -> int:
    if month != 2:
        return _LONGEST[month - 1]
    return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28


class _Refused(ValueError):
    """One part of a field is wrong; the reason reads after the part's text."""


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...], noun: str) -> frozenset[int]:
    result: set[int] = set()
    for part in text.split(","):
        try:
            result.update(_part(part.lower(), low, high, names, noun))
        except _Refused as exc:
            subject = f"'{text}'" if part == text else f"'{part}' (in '{text}')"
            raise ValueError(f"cron {name} field {subject} {exc}") from None
    return frozenset(result)


def _part(part: str, low: int, high: int, names: tuple[str, ...], noun: str) -> range:
    body, slash, step_text = part.partition("/")
    step = _number(step_text) if slash else 1
    if step < 1:
        raise _Refused("has a step of 0; write a step of 1 or more, e.g. */15")
    if body == "*":
        return range(low, high + 1, step)
    first, dash, last = body.partition("-")
    start = _number(first, names, low, high, noun)
    if not dash:  # "5" alone, or "5/15": from 5 to the end, every 15
        end = high if slash else start
    else:
        end = _number(last, names, low, high, noun)
        if names == _DAYS and last == "sun" and start > 0:
            end = 7  # "fri-sun" is Friday to Sunday
    for value in (start, end):
        if not low <= value <= high:
            raise _Refused(f"is out of range {low}-{high}")
    if start > end:
        raise _Refused(f"is reversed; write the smaller first, e.g. {last}-{first}")
    return range(start, end + 1, step)


def _number(text: str, names: tuple[str, ...] = (), low: int = 0, high: int = 0, noun: str = "") -> int:
    """ASCII digits, or one of `names` (three letters, any case): nothing else."""
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 4 else 10**4  # anything longer is out of range anyway
    if text in names:
        return names.index(text) + low
    raise _Refused(_why_not(text, names, low, high, noun))


def _why_not(text: str, names: tuple[str, ...], low: int, high: int, noun: str) -> str:
    if "#" in text:
        return "uses # (the nth weekday in a month), which is not supported; write just the weekday, e.g. mon"
    if text == "?":
        return "uses ?, which is not supported; write * instead"
    if text in ("l", "lw") or (text[:-1].isdigit() and text[-1:] == "l"):
        return f"uses L (last), which is not supported; write the day itself, e.g. {'fri' if names else 28}"
    if text[:-1].isdigit() and text[-1:] == "w":
        return "uses W (the nearest weekday), which is not supported; write the day itself, e.g. 15"
    if not text.isascii():
        return "is not valid; write numbers with the digits 0-9 and names in English, e.g. mon, jan"
    if names and text.isalpha():
        return f"is not {noun}; write a number {low}-{high} or one of {', '.join(names)}"
    return f"is not valid; {_EXAMPLE}"
