"""Times of day, durations and moments, as people write and say them."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo

_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")
LONGEST = timedelta(days=36500)  # a century: past any use, and far from timedelta's own end
# A duration is amounts with units, as written or said: "1h30m", "2 hours", "1 hour 30 minutes", "an hour".
_AMOUNT = re.compile(r"([0-9]+) ?([a-z]+)|\ban? ([a-z]+)")
_UNIT_WORDS = {
    "weeks": ("w", "wk", "wks", "week", "weeks"),
    "days": ("d", "day", "days"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "minutes": ("m", "min", "mins", "minute", "minutes"),
    "seconds": ("s", "sec", "secs", "second", "seconds"),
}
_UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}


def parse_time_of_day(text: str) -> time:
    """'9:30', '09:30' or '21:05' -> time; ValueError says what to write instead."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f'\'{text}\' is not a time of day; write it as "HH:MM", e.g. "09:30"')
    return time(int(match[1]), int(match[2]))


_SPOKEN = re.compile(r"^([0-9]{1,2})(?:\s*[:.h]\s*([0-5][0-9]))?\s*([ap])?$")
_NAMED = {"noon": time(12), "midday": time(12), "midnight": time(0)}


def parse_spoken_time(text: str) -> time:
    """A time as people type it where they are asked for one: "8:30", "8.30",
    "08h30", "9pm", "9 p.m.", "8:30am", "12am" (midnight), "noon". Config
    files keep the one spelling, "HH:MM"; ValueError says what to write."""
    cleaned = re.sub(r"([ap])\.?\s*m\.?$", r"\1", text.strip().lower())
    if cleaned in _NAMED:
        return _NAMED[cleaned]
    match = _SPOKEN.match(cleaned)
    if not match:
        raise ValueError(f"'{text}' is not a time of day; write e.g. 08:30, 8:30am or 9pm")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half and not 1 <= hour <= 12:
        raise ValueError(f"'{text}' is not a time of day: with am or pm the hour is 1 to 12")
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23:
        raise ValueError(f"'{text}' is not a time of day; the hour is 0 to 23, or 1 to 12 with am or pm")
    return time(hour, minute)


# Shaped like a moment, so never a duration: "6pm", "18:00", "6.15 a.m.", "noon", "2026-12-24T08:00".
_MOMENT_SHAPE = re.compile(
    r"[0-9]{4}-.+|[0-9]{1,2}\s*[:.]\s*[0-9]{2}(?:\s*[ap]\.?\s*m\.?)?|[0-9]{1,2}\s*[ap]\.?\s*m\.?|noon|midday|midnight"
)


def looks_like_a_moment(text: str) -> bool:
    """Whether `text` is written as a time of day or an ISO date, even a wrong
    one ("25:00"), rather than as a duration. A bare "6" or "8h30" is not:
    either could be meant as hours."""
    return bool(_MOMENT_SHAPE.fullmatch(text.strip().lower()))


class TooLong(ValueError):
    """A well-written duration past the limit: callers may word the range their own way."""


def parse_duration(text: str, most: timedelta = LONGEST) -> timedelta:
    """'20s', '90m', '2h', '1h30m', '2 hours', '1 hour 30 minutes', '2hrs' or '0'
    -> timedelta, at most `most`. Each unit at most once; whole numbers only.

    Only ValueError comes out, whatever is written: a number too big for
    timedelta (or for int() to read) is "too long", and says the limit.
    """
    cleaned = " ".join(re.sub(r",|\band\b", " ", text.lower()).split())
    if cleaned == "0":
        return timedelta(0)
    if cleaned.isascii() and cleaned.isdigit():
        raise ValueError(f'\'{text}\' has no unit; write e.g. "{cleaned}m" or "{cleaned}h"')
    if re.search(r"[0-9][.,][0-9]", text):
        raise ValueError(f"'{text}' is not a duration: use whole numbers, e.g. 1h30m for an hour and a half")
    amounts: dict[str, str] = {}
    end = 0  # the amounts must follow one another, and cover the whole text
    for match in _AMOUNT.finditer(cleaned):
        unit = _UNITS.get(match[2] or match[3])
        if match.start() != end or unit is None or unit in amounts:
            break
        amounts[unit] = match[1] or "1"
        end = match.end() + cleaned.startswith(" ", match.end())
    if not amounts or end < len(cleaned):
        raise ValueError(
            f'\'{text}\' is not a duration; write a number with a unit, e.g. "20s", "90m", "2h" or "2 hours"'
        )
    try:
        value: timedelta | None = timedelta(**{unit: int(amount) for unit, amount in amounts.items()})
    except (ValueError, OverflowError):  # more digits than int() reads, or past timedelta's end
        value = None
    if value is None or value > most:
        raise TooLong(f"'{text}' is too long; write at most {format_duration(most)}")
    return value


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration, for messages and `config show`."""
    seconds = int(value.total_seconds())
    if not seconds:
        return "0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def when(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """A moment as a person says it, in the schedule's zone: "today 20:00 CET",
    "tomorrow 09:00 CET", "Mon 30 Nov 09:00 CET". The zone's short name tells
    the two 02:30s of an autumn night apart, and the schedule's zone from the
    laptop's when they differ."""
    try:
        local = moment.astimezone(zone)
    except OverflowError:  # at the calendar's very end (a pause saved by an older version): as it is
        local = moment
    today = now.astimezone(zone).date()
    day = {0: "today", 1: "tomorrow", -1: "yesterday"}.get((local.date() - today).days)
    if not day:
        day = local.strftime("%a %d %b" if local.year == today.year else "%a %d %b %Y")
    return f"{day} {local:%H:%M %Z}"
