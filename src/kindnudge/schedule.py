"""Schedule rules as the user writes them under `schedule:`, checked and typed.

A rule says on which days and at which wall-clock times a nudge comes, and of
which kinds. Turning rules into moments is planner.py's job.
"""

from __future__ import annotations

import unicodedata
from datetime import time, timedelta
from typing import Any, NamedTuple

from kindnudge.cron import CronSpec, parse_cron
from kindnudge.errors import ConfigError, Location
from kindnudge.library import KINDS, showable
from kindnudge.timetext import format_duration
from kindnudge.yamlfile import MarkedDict, check_keys, clock, describe, duration, items

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TOGETHER = " + "  # between the names of rules due at the same minute (planner.together)
_DAY_GROUPS = {
    "daily": range(7),
    "everyday": range(7),
    "weekdays": range(5),
    "weekends": range(5, 7),
}
_RULE_KEYS = ("name", "kind", "days", "at", "random", "between", "min_gap", "cron")
DEFAULT_MIN_GAP = timedelta(minutes=30)
EMBEDDED = Location("(built-in defaults)")  # where a built-in default "is written"


class RandomTimes(NamedTuple):
    """`count` moments a day drawn in [start, end), at least `min_gap` apart."""

    count: int
    start: time
    end: time
    min_gap: timedelta

    @property
    def window(self) -> timedelta:
        minutes = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        return timedelta(minutes=minutes % (24 * 60) or 24 * 60)


class Rule(NamedTuple):
    name: str
    kinds: tuple[str, ...]
    days: frozenset[int] = frozenset(range(7))  # Monday is 0
    at: tuple[time, ...] = ()
    random: RandomTimes | None = None
    cron: CronSpec | None = None


def parse_rules(items: list[tuple[Any, Location]]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    names: dict[str, tuple[str, Location]] = {}  # by name as it reads: history tells them apart poorly
    for index, (item, where) in enumerate(items, start=1):
        rule = parse_rule(item, where, index)
        key = name_key(rule.name)
        if key in names:
            first, at = names[key]
            written = "" if first == rule.name else f", as '{first}'"
            raise ConfigError(
                f"two rules are called '{rule.name}' (first at {at}{written}); give each its own name",
                item.at("name") if isinstance(item, MarkedDict) else where,
            )
        names[key] = (rule.name, where)
        rules.append(rule)
    return tuple(rules)


def parse_rule(item: Any, where: Location, index: int) -> Rule:
    if not isinstance(item, dict):
        raise ConfigError(f'each rule is a mapping such as at: "09:00", got {describe(item)}', where)
    if isinstance(item, MarkedDict):
        check_keys(item, _RULE_KEYS, "rule key")
    at = _rule_where(item)

    def pos(key: str) -> Location:
        return item.at(key) if isinstance(item, MarkedDict) else where

    kinds_given = [key for key in ("at", "random", "cron") if key in item]
    if len(kinds_given) != 1:
        raise ConfigError(
            "a rule needs exactly one of at:, random: or cron:"
            + (f" (this one has {' and '.join(kinds_given)})" if kinds_given else ""),
            at,
        )
    name = item.get("name", f"rule-{index}")
    if not isinstance(name, (str, int)) or not str(name).strip():
        raise ConfigError(f"a rule's name is a short text, got {describe(name)}", pos("name"))
    name = showable(str(name), pos("name"), "a rule's name")  # next, status and history print it
    if any(char == "+" or "PLUS" in unicodedata.name(char, "").split() for char in _as_read(name)):
        raise ConfigError(
            f"a rule's name can't hold '{TOGETHER.strip()}': it joins the names"
            " of rules due at the same minute; write e.g. 'morning and evening'",
            pos("name"),
        )
    kinds = parse_kinds(item.get("kind", "any"), pos("kind"))
    days = _days(item.get("days", "daily"), pos("days"))
    for key in ("between", "min_gap"):
        if key in item and "random" not in item:
            raise ConfigError(f"{key}: only goes with random:; remove it or add random: N", pos(key))
    if "at" in item:
        times = [clock(value, w) for value, w in items(item["at"], pos("at"))]
        if not times:
            raise ConfigError('at: needs at least one time, e.g. at: "09:00"', pos("at"))
        return Rule(name, kinds, days, at=tuple(sorted(set(times))))
    if "cron" in item:
        if "days" in item:
            raise ConfigError("days: does not go with cron:; put the days in the cron fields", pos("days"))
        text = item["cron"]
        if not isinstance(text, str):
            raise ConfigError(
                f'cron: takes a text such as "30 10 * * sat,sun", got {describe(text)}', pos("cron")
            )
        try:
            return Rule(name, kinds, days, cron=parse_cron(text))
        except ValueError as exc:
            raise ConfigError(str(exc), pos("cron")) from None
    return Rule(name, kinds, days, random=_random(item, pos))


def _rule_where(item: dict) -> Location:
    return item.where if isinstance(item, MarkedDict) else EMBEDDED


def parse_kinds(value: Any, where: Location) -> tuple[str, ...]:
    """reframe, self-care, any (both), or a list of these."""
    kinds: list[str] = []
    for item, at in items(value, where):
        if item == "any":
            kinds.extend(KINDS)
        elif item in KINDS:
            kinds.append(item)
        else:
            raise ConfigError(f"unknown kind {describe(item)}; write one of: {', '.join(KINDS)}, any", at)
    if not kinds:
        raise ConfigError(f"name at least one kind: {', '.join(KINDS)} or any", where)
    return tuple(dict.fromkeys(kinds))


def name_key(name: str) -> str:
    """A rule's name as it reads, whatever its case and spacing: two names with
    one key would look alike in `next` and `history`."""
    return _as_read(" ".join(name.split())).casefold()


def _as_read(name: str) -> str:
    """A name as it reads on screen: "café" however it is composed, a fullwidth
    plus as "+", and without the invisible characters a zero-width space hides."""
    return "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) != "Cf")


def day_number(word: str) -> int | None:
    """Monday is 0. "thu", "Thurs", "thursdays" name a day; "monkey" and "mo" don't."""
    word = word.strip().lower()
    if len(word) < 3:
        return None
    return next((n for n, full in enumerate(_FULL_DAY_NAMES) if f"{full}s".startswith(word)), None)


def _days(value: Any, where: Location) -> frozenset[int]:
    days: set[int] = set()
    for item, at in items(value, where):
        word = str(item).strip().lower() if isinstance(item, str) else ""
        ends = word.split("-")  # a range has two
        if word in _DAY_GROUPS:
            days.update(_DAY_GROUPS[word])
        elif len(ends) == 2 and None not in (numbers := [day_number(end) for end in ends]):
            first, last = numbers
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        elif (number := day_number(word)) is not None:
            days.add(number)
        else:
            raise ConfigError(f"{describe(item)} is not a day; {_day_hint(word)}", at)
    if not days:
        raise ConfigError("days: needs at least one day", where)
    return frozenset(days)


def _day_hint(word: str) -> str:
    if word in ("weekday", "weekend"):
        return f"write {word}s"
    if "," in word:
        return f"write a list: [{', '.join(part.strip() for part in word.split(','))}]"
    return "write daily, weekdays, weekends, a day such as mon, or a range such as mon-fri"


def _random(item: dict, pos: Any) -> RandomTimes:
    count = item["random"]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 48:
        raise ConfigError(f"random: takes how many a day, 1 to 48, got {describe(count)}", pos("random"))
    if "between" not in item:
        raise ConfigError('random: needs between: ["10:00", "21:00"] to say when', pos("random"))
    window = items(item["between"], pos("between"))
    if len(window) != 2:
        raise ConfigError('between: takes two times, e.g. ["10:00", "21:00"]', pos("between"))
    start, end = (clock(v, w) for v, w in window)
    if start == end:
        raise ConfigError("between: start and end are the same; give a window", pos("between"))
    window = RandomTimes(count, start, end, DEFAULT_MIN_GAP).window
    if "min_gap" in item:  # at most the window, so `count * gap` below stays small
        gap = duration(item["min_gap"], pos("min_gap"), "min_gap", window, " (the width of between:)")
    else:  # 30 minutes, or less when the window is too small for that
        gap = min(DEFAULT_MIN_GAP, window // count)
    gap = max(timedelta(minutes=1), timedelta(minutes=gap // timedelta(minutes=1)))
    if count * gap > window:
        raise ConfigError(
            f"{count} nudges {format_duration(gap)} apart do not fit in"
            f" {format_duration(window)}; widen between:, lower random: or shorten min_gap:",
            pos("min_gap") if "min_gap" in item else pos("random"),
        )
    return RandomTimes(count, start, end, gap)
