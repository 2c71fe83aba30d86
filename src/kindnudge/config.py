"""The user's settings: one declared table drives defaults, checks and docs.

With no config file, the defaults below apply as they are, so kindnudge works
out of the box. Every mistake in a file is reported as `file:line:col: ...`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kindnudge import jsoncache, paths, yamlfile
from kindnudge.desktop import RESPECTS
from kindnudge.errors import ConfigError, KindnudgeError, Location
from kindnudge.library import KINDS, showable
from kindnudge.schedule import EMBEDDED, Rule, parse_rules
from kindnudge.schedule import parse_kinds as schedule_kinds
from kindnudge.yamlfile import MarkedDict, check_keys, clock, describe, duration, items

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

BACKENDS = ("auto", "dbus", "plyer", "osascript", "windows", "console")
PUSH_MODES = ("alongside", "instead")
URGENCIES = ("low", "normal")
# An IANA name: at most five parts such as "America/Argentina/Buenos_Aires", "Etc/GMT+5".
_ZONE_NAME = re.compile(r"(?=.{1,64}\Z)[A-Za-z][\w+-]*(?:/[A-Za-z][\w+-]*){0,4}", re.ASCII)
# The D-Bus Notify timeout is an int32 of milliseconds; an hour is plenty on screen.
MAX_TIMEOUT = timedelta(hours=1)
MAX_CATCH_UP = timedelta(days=7)
MAX_AWAY_AFTER = timedelta(hours=12)
MAX_HOLD_FOR = timedelta(hours=12)


class PackRef(NamedTuple):
    path: Path
    where: Location


class Config(NamedTuple):
    source: Path | None
    timezone: str | None
    schedule: tuple[Rule, ...]
    quiet_hours: tuple[time, time] | None
    catch_up: timedelta
    titles: dict[str, str]
    timeout: timedelta
    backend: str
    urgency: str
    push_urls: tuple[str, ...]
    push_mode: str
    kinds: tuple[str, ...]
    packs: tuple[PackRef, ...]
    favourite_weight: int
    buttons: bool = True
    respect: tuple[str, ...] = RESPECTS  # the bad moments a nudge waits out; () never holds one
    away_after: timedelta = timedelta(minutes=10)
    hold_for: timedelta = timedelta(hours=2)
    discreet: bool = False

    def title_for(self, kind: str) -> str:
        return self.titles[kind]

    def zone(self) -> ZoneInfo:
        """The schedule's zone: the configured one, else the system's."""
        if self.timezone:
            from zoneinfo import ZoneInfo

            return ZoneInfo(self.timezone)
        from kindnudge.localzone import system_zone

        return system_zone()


Parser = Callable[[Any, Location, Path], Any]


class Setting(NamedTuple):
    """One config key: its default (written as a user would), parser and doc."""

    key: str
    default: Any
    parse: Parser
    doc: str


def _text(value: Any, where: Location, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected {what}, got {describe(value)}", where)
    return value.strip()


def _list(value: Any, where: Location, what: str) -> list[tuple[Any, Location]]:
    if value is None or isinstance(value, (dict, bool)):
        raise ConfigError(f"expected {what}, got {describe(value)}", where)
    return items(list(value) if isinstance(value, tuple) else value, where)


def parse_timezone(value: Any, where: Location, _base: Path) -> str | None:
    if value is None:
        return None
    name = _text(value, where, 'an IANA time zone name such as "Europe/Berlin"')
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not _ZONE_NAME.fullmatch(name):  # zoneinfo itself recurses, or fails on a long path
            raise ValueError
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. "Europe" is a folder
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise ConfigError(
            f"unknown time zone '{shown}'; write an IANA name such as \"Europe/Berlin\""
            ' or "America/New_York", or leave it out to use the system\'s',
            where,
        ) from None
    return name


def _span(name: str, at_most: timedelta, hint: str = "") -> Parser:
    """A duration setting that takes 0 to `at_most`."""

    def parse(value: Any, where: Location, _base: Path) -> timedelta:
        return duration(value, where, name, at_most, hint)

    return parse


def parse_quiet_hours(value: Any, where: Location, _base: Path) -> tuple[time, time] | None:
    if value is None or value == [] or value is False:
        return None
    pair = _list(value, where, 'two times, e.g. ["22:00", "07:30"]')
    if len(pair) != 2:
        raise ConfigError('quiet_hours takes two times, start and end, e.g. ["22:00", "07:30"]', where)
    start, end = (clock(item, at) for item, at in pair)
    if start == end:
        raise ConfigError("quiet hours start and end at the same time; give two different times", where)
    return start, end


def parse_schedule(value: Any, where: Location, _base: Path) -> tuple[Rule, ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        raise ConfigError('schedule: is a list of rules; start each rule with "- "', where)
    return parse_rules(_list(value, where, "a list of rules"))


def parse_titles(value: Any, where: Location, _base: Path) -> dict[str, str]:
    if isinstance(value, MarkedDict):
        check_keys(value, KINDS, "kind")
        missing = [k for k in KINDS if k not in value]
        if missing:
            raise ConfigError(f"title has no entry for {', '.join(missing)}; add one", where)
        return {kind: _title(value[kind], value.at(kind)) for kind in KINDS}
    if isinstance(value, dict):  # the built-in default
        return {kind: _title(value[kind], where) for kind in KINDS}
    title = _title(value, where)
    return dict.fromkeys(KINDS, title)


def _title(value: Any, where: Location) -> str:
    return showable(value, where, "the title", 64)  # checked like a message's text


def _choice(choices: tuple[str, ...], what: str) -> Parser:
    def parse(value: Any, where: Location, _base: Path) -> str:
        if value not in choices:
            raise ConfigError(f"unknown {what} {describe(value)}; write one of: {', '.join(choices)}", where)
        return value

    return parse


def parse_switch(value: Any, where: Location, _base: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {describe(value)}", where)
    return value


def parse_respect(value: Any, where: Location, _base: Path) -> tuple[str, ...]:
    if value is None:  # an emptied line: say so, rather than switch off what was on
        raise ConfigError(
            f"respect: is empty; list the moments a nudge waits out, e.g. [{', '.join(RESPECTS)}],"
            " or write [] to never hold one",
            where,
        )
    if value == []:
        return ()
    names = []
    for item, at in _list(value, where, f"a list of moments to respect, e.g. [{', '.join(RESPECTS)}]"):
        if item not in RESPECTS:
            raise ConfigError(
                f"unknown moment {describe(item)}; write some of: {', '.join(RESPECTS)}"
                " (or [] to never hold)",
                at,
            )
        names.append(item)
    return tuple(dict.fromkeys(names))


def parse_away_after(value: Any, where: Location, _base: Path) -> timedelta:
    span = duration(value, where, "away_after", MAX_AWAY_AFTER)
    if not span:
        raise ConfigError(
            'away_after of 0 would count you away all the time; write e.g. "10m"'
            " (it counts only while attention.respect lists away)",
            where,
        )
    return span


def parse_urls(value: Any, where: Location, _base: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    urls = []
    for item, at in _list(value, where, "a list of Apprise URLs"):
        url = _text(item, at, 'an Apprise URL such as "ntfy://my-topic"')
        if "://" not in url:
            raise ConfigError(f"'{url}' is not an Apprise URL; write e.g. \"ntfy://my-topic\"", at)
        urls.append(url)
    return tuple(urls)


def parse_kinds(value: Any, where: Location, _base: Path) -> tuple[str, ...]:
    _list(value, where, "a list of kinds")  # refuses nothing, a mapping or a yes/no
    return schedule_kinds(value, where)


def parse_weight(value: Any, where: Location, _base: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise ConfigError(f"favourite_weight takes a whole number from 1 to 10, got {describe(value)}", where)
    return value


def parse_packs(value: Any, where: Location, base: Path) -> tuple[PackRef, ...]:
    if value is None:
        return ()
    refs = []
    for item, at in _list(value, where, "a list of pack file paths"):
        path = paths.expand_home(_text(item, at, "the path of a pack file"), at)
        refs.append(PackRef(path if path.is_absolute() else base / path, at))
    return tuple(refs)


DEFAULT_SCHEDULE = (
    {"name": "morning", "at": "09:00", "kind": "reframe"},
    {"name": "evening", "at": "20:00", "kind": "self-care"},
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "timezone",
        None,
        parse_timezone,
        "IANA time zone for the schedule, e.g. Europe/Berlin. Default: the system's.",
    ),
    Setting(
        "schedule",
        list(DEFAULT_SCHEDULE),
        parse_schedule,
        "List of rules saying when nudges come. Default: 09:00 reframe, 20:00 self-care.",
    ),
    Setting(
        "quiet_hours",
        ["22:00", "07:00"],
        parse_quiet_hours,
        "[start, end]: nothing is shown in between. Empty list turns it off.",
    ),
    Setting(
        "catch_up",
        "2h",
        _span("catch_up", MAX_CATCH_UP),
        "After sleep or downtime, show the latest missed nudge if it is this recent (at most 7d). 0: off.",
    ),
    Setting(
        "notification.title",
        {"reframe": "A gentle reframe", "self-care": "A moment for you"},
        parse_titles,
        "Notification title: one text, or one per kind (reframe, self-care).",
    ),
    Setting(
        "notification.timeout",
        "20s",
        _span("timeout", MAX_TIMEOUT, " (0: until dismissed)"),
        "How long a notification stays on screen (at most 1h). 0: until you dismiss it.",
    ),
    Setting(
        "notification.backend",
        "auto",
        _choice(BACKENDS, "backend"),
        "How notifications are shown: auto, dbus, plyer, osascript, windows or console.",
    ),
    Setting(
        "notification.urgency",
        "normal",
        _choice(URGENCIES, "urgency"),
        "low or normal; kindnudge never asks for critical.",
    ),
    Setting(
        "notification.buttons",
        True,
        parse_switch,
        "Keep, Hide and Another buttons on each nudge, where the desktop offers buttons. false: none.",
    ),
    Setting(
        "notification.discreet",
        False,
        parse_switch,
        "true: a nudge shows only 'A kind word is waiting' until you choose Show (or run kindnudge last).",
    ),
    Setting(
        "push.urls",
        [],
        parse_urls,
        "Apprise URLs to send each nudge to (phone, chat, e-mail); needs kindnudge[push].",
    ),
    Setting(
        "push.mode",
        "alongside",
        _choice(PUSH_MODES, "push mode"),
        "alongside the desktop notification, or instead of it.",
    ),
    Setting(
        "content.kinds",
        list(KINDS),
        parse_kinds,
        "Which kinds of message to use: reframe, self-care, or both.",
    ),
    Setting(
        "content.packs",
        [],
        parse_packs,
        "Paths of your own pack files, relative to this config file's folder.",
    ),
    Setting(
        "content.favourite_weight",
        3,
        parse_weight,
        "How much more often favourites come (1 to 10); each still once per round.",
    ),
    Setting(
        "attention.respect",
        list(RESPECTS),
        parse_respect,
        "The bad moments a nudge waits out: do-not-disturb, fullscreen, locked, away. [] never holds one.",
    ),
    Setting(
        "attention.away_after",
        "10m",
        parse_away_after,
        "Idle this long counts as away (at most 12h).",
    ),
    Setting(
        "attention.hold_for",
        "2h",
        _span("hold_for", MAX_HOLD_FOR, " (0: skip a nudge due at a bad moment)"),
        "How long after its time a held nudge may still come (at most 12h). 0: skip it instead.",
    ),
)
_TOP_KEYS = tuple(dict.fromkeys(s.key.split(".")[0] for s in SETTINGS))


def load_config(path: Path, required: bool, cache: Path | None = None) -> Config:
    """Read `path`; a missing optional file means the built-in defaults (but
    a symbolic link to nowhere is an error: the user meant a file to be there).

    With `cache`, a file that checked out is kept parsed in it (jsoncache.py),
    so the next start needn't import PyYAML. Only the parsing is saved: the
    checks run every time, as they depend on more than the file (`~`, the
    installed time zones).
    """
    if not required and not yamlfile.exists(path):
        return _build({}, EMBEDDED, None, Path.cwd())
    key = jsoncache.key(path) if cache else None
    data = _from_cache(cache, key, path) if cache else None
    fresh = data is None
    if fresh:
        data = _read(path)
    config = _build(data, data.where, path, path.parent)
    if fresh and cache:
        jsoncache.put(cache, "config", key, jsoncache.dump_document(data))
    return config


def _read(path: Path) -> MarkedDict:
    data = yamlfile.read(path, yamlfile.MAX_CONFIG_BYTES)
    if data is None:
        data = MarkedDict()
        data.where, data.key_where, data.value_where = Location(path, 1, 1), {}, {}
    if not isinstance(data, MarkedDict):
        where = getattr(data, "where", Location(path, 1, 1))
        raise ConfigError("a config file is a mapping of settings such as 'timezone:'", where)
    return data


def _from_cache(cache: Path, key: jsoncache.Key | None, path: Path) -> MarkedDict | None:
    try:
        data = jsoncache.load_document(jsoncache.get(cache, "config", key), path)
    except (KeyError, TypeError, ValueError):  # not made by us
        return None
    return data if isinstance(data, MarkedDict) else None


def _build(data: dict, where: Location, source: Path | None, base: Path) -> Config:
    if isinstance(data, MarkedDict):
        check_keys(data, _TOP_KEYS, "setting")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        section, _, key = setting.key.rpartition(".")
        table, table_where = data, where
        if section:
            table = data.get(section) if section in data else {}
            table_where = data.at(section) if isinstance(data, MarkedDict) else where
            if table is None:
                table = {}
            if not isinstance(table, dict):
                raise ConfigError(f"'{section}' holds settings, got {describe(table)}", table_where)
            if isinstance(table, MarkedDict):
                check_keys(table, _section_keys(section), f"{section} setting")
        if key in table:
            at = table.at(key) if isinstance(table, MarkedDict) else table_where
            values[setting.key] = setting.parse(table[key], at, base)
        else:
            values[setting.key] = setting.parse(setting.default, EMBEDDED, base)
    return Config(
        source=source,
        timezone=values["timezone"],
        schedule=values["schedule"],
        quiet_hours=values["quiet_hours"],
        catch_up=values["catch_up"],
        titles=values["notification.title"],
        timeout=values["notification.timeout"],
        backend=values["notification.backend"],
        urgency=values["notification.urgency"],
        push_urls=values["push.urls"],
        push_mode=values["push.mode"],
        kinds=values["content.kinds"],
        packs=values["content.packs"],
        favourite_weight=values["content.favourite_weight"],
        buttons=values["notification.buttons"],
        respect=values["attention.respect"],
        away_after=values["attention.away_after"],
        hold_for=values["attention.hold_for"],
        discreet=values["notification.discreet"],
    )


def _section_keys(section: str) -> tuple[str, ...]:
    return tuple(s.key.split(".", 1)[1] for s in SETTINGS if s.key.startswith(section + "."))


def built_in(path: Path | None = None) -> Config:
    """The defaults alone: what applies with no file at all. With `path`, a
    file that can't be used as a whole, in its own time zone if that much of
    it reads: `pause 6pm` and `status` then still mean the person's evening."""
    config = _build({}, EMBEDDED, None, Path.cwd())
    if path is None:
        return config
    try:
        data = _read(path)
        if "timezone" in data:
            return config._replace(
                timezone=parse_timezone(data["timezone"], data.at("timezone"), path.parent)
            )
    except KindnudgeError:
        pass
    return config
