"""Cron rules as real cron reads them, checked against two independent oracles:
croniter (with Vixie cron's day rule) and `systemd-analyze calendar` (in zones
with DST), and every refused rule through `kindnudge check`."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from kindnudge.cron import parse_cron
from kindnudge.daemon import PlanTrigger
from kindnudge.planner import Plan, resolve
from kindnudge.schedule import Rule

from conftest import run
from oracles import needs_systemd, systemd_calendar

UTC = timezone.utc
BOTH = ("reframe", "self-care")

# What crontab(5) says each alias stands for: an oracle for the aliases.
ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
EXPRESSIONS = [
    "30 10 * * sat,sun",
    "*/20 9-17 * * mon-fri",
    "0 12 1,15 * *",
    "5 8 * jan,jul 1",  # Mondays in January and July
    "0 18 13 * fri",  # every 13th and every Friday
    "0 9 * * 0,7",
    "0 9 29 2 *",  # leap days
    "0 9 29 feb mon",  # 29 February, and every Monday in February
    "0 9 29 2 */3",  # 29 February when it is a Sunday, Wednesday or Saturday
    "0 9 */2 * mon",  # `*/2` starts with `*`: odd days that are Mondays
    "0 9 1-7 * */2",  # the first seven days, when they are Sun, Tue, Thu or Sat
    "15 6 28-31 2 *",
    "0 9 31 * *",
    "0 9 30 */2 *",
    "0 0 1 */3 *",
    "0 12 * * fri-sun",
    "10-50/20 */6 * * *",
    "0 9 5/10 * *",
    "45 23 * * 6-7",
    "0,30 1,2 * * *",  # inside the spring gap and the autumn overlap of most zones
    "*/20 2 * * *",
    "0 8 1 JAN *",
    "0 7 * * MON-FRI",
    *ALIASES,
]
LEAP = ["0 9 29 2 *", "0 9 29 feb mon", "0 9 29 2 */3", "15 6 28-31 2 *", "0 0 1 */3 *", "@yearly"]


def cron_plan(expression: str, tz: ZoneInfo) -> Plan:
    return Plan((Rule("c", BOTH, cron=parse_cron(expression)),), tz, None)


def croniter_next(expression: str, start: datetime, count: int) -> list[datetime]:
    it = croniter(expression, start, implement_cron_bug=True)  # Vixie cron's day-of-month/week rule
    return [it.get_next(datetime) for _ in range(count)]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize(
    ("zone", "start"),
    [("UTC", datetime(2026, 1, 1)), ("Asia/Kolkata", datetime(2099, 6, 1, 12))],  # across 2100
    ids=["UTC-2026", "Kolkata-2099"],
)
def test_cron_rule_matches_croniter(expression, zone, start):
    tz = ZoneInfo(zone)
    start = start.replace(tzinfo=tz)
    ours = [s.at for s in cron_plan(expression, tz).upcoming(start, 100)]
    assert ours == croniter_next(expression, start, 100)


def test_leap_days_fire_every_leap_year_and_skip_2100():
    plan = cron_plan("0 9 29 2 *", ZoneInfo("UTC"))
    years = [s.at.year for s in plan.upcoming(datetime(2026, 3, 1, tzinfo=UTC), 20)]
    assert years == [*range(2028, 2100, 4), 2104, 2108]


def test_cron_days_start_on_the_day_asked_and_end_with_the_calendar():
    """Matching days on or after the one asked, up to 31 December 9999 and no further."""
    new_years_eve = parse_cron("0 9 31 12 *")
    assert list(new_years_eve.days_from(date(9999, 12, 31))) == [date(9999, 12, 31)]
    assert list(new_years_eve.days_from(date(9998, 1, 1))) == [date(9998, 12, 31), date(9999, 12, 31)]


def test_the_daemons_trigger_keeps_a_leap_day_rule():
    """APScheduler drops a job whose trigger answers None: it must never, for a rule that will fire."""
    trigger = PlanTrigger(cron_plan("0 9 29 2 *", ZoneInfo("Europe/Berlin")))
    fired = datetime(2096, 2, 29, 8, tzinfo=UTC)
    assert trigger.get_next_fire_time(fired, fired) == datetime(2104, 2, 29, 8, tzinfo=UTC)


def test_next_shows_leap_days_across_2100(config_file):
    config_file.write_text("timezone: UTC\nquiet_hours: []\nschedule:\n  - cron: '0 9 29 2 *'\n")
    result = run("next", "-n", "3", "--from", "2095-03-01T00:00:00+00:00", "--json")
    assert result.returncode == 0, result.stderr
    assert [row["at"] for row in json.loads(result.stdout)] == [
        "2096-02-29T09:00:00+00:00",
        "2104-02-29T09:00:00+00:00",
        "2108-02-29T09:00:00+00:00",
    ]


# -- systemd-analyze calendar, in zones with daylight saving time ------------

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _systemd_field(field: str, low: int, high: int, names: tuple[str, ...] = ()) -> str:
    """A cron field in systemd's words: ranges `a..b`, steps `a..b/n`."""
    parts = []
    for part in field.lower().split(","):
        for index, name in enumerate(names):
            part = part.replace(name, str(index + low))
        body, slash, step = part.partition("/")
        if slash and "-" not in body:  # `*/n` and `a/n` run to the end of the field
            body = f"{low if body == '*' else body}-{high}"
        parts.append(body.replace("-", "..") + slash + step)
    return ",".join(parts)


def _systemd_weekdays(field: str) -> str:
    """systemd has no steps in weekdays: spell the days out (0 and 7 are Sunday)."""
    days = []
    for part in field.lower().split(","):
        body, _, step = part.partition("/")
        first, _, last = ("0-7" if body == "*" else body).partition("-")
        start = WEEKDAY_NAMES.index(first) if first in WEEKDAY_NAMES else int(first)
        end = int(last) if last.isdigit() else WEEKDAY_NAMES.index(last) if last else start
        end = 7 if last == "sun" and start else end  # fri-sun: Friday to Sunday
        days += [WEEKDAY_NAMES[d % 7].title() for d in range(start, end + 1, int(step or 1))]
    return ",".join(dict.fromkeys(days))


def systemd_specs(expression: str, zone: str) -> list[str]:
    """The cron rule as OnCalendar specs; two when a day matching either day field fires."""
    minute, hour, dom, month, dow = ALIASES.get(expression, expression).split()
    clock = f"{_systemd_field(hour, 0, 23)}:{_systemd_field(minute, 0, 59)}:00 {zone}"
    months = _systemd_field(month, 1, 12, MONTH_NAMES)
    days = _systemd_field(dom, 1, 31)
    date = f"*-{months}-{days}"
    if dow == "*":
        return [f"{date} {clock}"]
    if dom.startswith("*") or dow.startswith("*"):  # Vixie: then both must match
        return [f"{_systemd_weekdays(dow)} {date} {clock}"]
    return [f"{_systemd_weekdays(dow)} *-{months}-* {clock}", f"{date} {clock}"]


def moved_out_of_the_gap(at: datetime, tz: ZoneInfo, expression: str) -> bool:
    """`at` is a wall time the rule names that did not exist, fired as far after the gap."""
    local = at.astimezone(tz)
    shift = local.utcoffset() - (at - timedelta(hours=3)).astimezone(tz).utcoffset()
    wall = local.replace(tzinfo=None) - shift
    exists = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
    named = croniter_next(ALIASES.get(expression, expression), wall - timedelta(minutes=1), 1) == [wall]
    return shift > timedelta(0) and not exists and named and resolve(wall, tz) == at


# (zone, spring-forward day, fall-back day) in 2026, in both hemispheres.
DST_ZONES = [
    ("America/New_York", datetime(2026, 3, 8), datetime(2026, 11, 1)),
    ("Australia/Sydney", datetime(2026, 10, 4), datetime(2026, 4, 5)),
]


@needs_systemd
@pytest.mark.reliability  # hundreds of systemd-analyze runs
@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize(("zone", "spring", "autumn"), DST_ZONES, ids=[z[0] for z in DST_ZONES])
def test_cron_rule_matches_systemd_except_inside_the_gap(expression, zone, spring, autumn):
    """systemd skips a time inside the spring-forward gap; we fire it as far after the gap."""
    tz = ZoneInfo(zone)
    for day in (spring, autumn):
        base = day.replace(tzinfo=tz) - timedelta(minutes=1)
        count = 30
        runs = [systemd_calendar(spec, base, count) for spec in systemd_specs(expression, zone)]
        theirs = sorted(set().union(*runs))[:count]
        ours = [s.at.astimezone(UTC) for s in cron_plan(expression, tz).upcoming(base, 2 * count)]
        ours = [at for at in ours if at <= theirs[-1]]
        extra = [at for at in ours if at not in theirs]
        assert [at for at in ours if at not in extra] == theirs
        assert all(moved_out_of_the_gap(at, tz, expression) for at in extra), extra


@needs_systemd
@pytest.mark.reliability  # hundreds of systemd-analyze runs
@pytest.mark.parametrize("expression", LEAP)
def test_leap_days_match_systemd_across_2100(expression):
    tz = ZoneInfo("Europe/Berlin")
    base = datetime(2090, 1, 1, tzinfo=tz)
    runs = [systemd_calendar(spec, base, 20) for spec in systemd_specs(expression, "Europe/Berlin")]
    theirs = sorted(set().union(*runs))[:20]  # systemd stops at the end of 2199
    assert len(theirs) >= 3
    ours = [s.at.astimezone(UTC) for s in cron_plan(expression, tz).upcoming(base, 20)]
    assert ours[: len(theirs)] == theirs


def test_wildcard_times_in_the_gap_and_the_overlap_fire_once_each():
    """The README's DST paragraph for cron, in New York."""
    tz = ZoneInfo("America/New_York")
    spring = cron_plan("*/20 * * * *", tz).between(
        datetime(2026, 3, 8, 1, 30, tzinfo=tz), datetime(2026, 3, 8, 4, 0, tzinfo=tz)
    )
    assert [s.at.strftime("%H:%M %Z") for s in spring] == [
        "01:40 EST", "03:00 EDT", "03:20 EDT", "03:40 EDT", "04:00 EDT",
    ]  # fmt: skip
    autumn = cron_plan("*/20 1 * * *", tz).upcoming(datetime(2026, 11, 1, tzinfo=tz), 3)
    assert [s.at.strftime("%H:%M %Z") for s in autumn] == ["01:00 EDT", "01:20 EDT", "01:40 EDT"]
    (moved,) = cron_plan("30 2 * * *", tz).between(
        datetime(2026, 3, 8, tzinfo=tz), datetime(2026, 3, 9, tzinfo=tz)
    )
    assert moved.at.strftime("%H:%M %Z") == "03:30 EDT"


# -- what is accepted and what is refused ---------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("0 9 * JAN MON", "0 9 * 1 1"),
        ("0 9 * Jan-Mar Mon-Fri", "0 9 * 1-3 1-5"),
        ("0 9 * * fri-sun", "0 9 * * 5,6,0"),
        ("0 9 * * sun-sun", "0 9 * * 0"),
        ("5/15 * * * *", "5,20,35,50 * * * *"),
        ("@Daily", "0 0 * * *"),
        *ALIASES.items(),
    ],
)
def test_names_ranges_and_aliases_mean_what_cron_means(written, meant):
    assert parse_cron(written) == parse_cron(meant)


# Each kind of rule cron refuses, or that could never fire, through `kindnudge check`.
REFUSED = [
    ("0 9 30 2 *", "this cron rule would never fire: there is no 30 February; write a day from 1 to 29"),
    ("0 9 31 4 *", "there is no 31 April; write a day from 1 to 30"),
    ("0 9 31 2,4,6,9,11 *", "there is no 31 February, April, June, September or November;"),
    ("0 9 * * monkey", "day of week field 'monkey' is not a day; write a number 0-7 or one of sun, mon,"),
    ("0 9 1 marvelous *", "month field 'marvelous' is not a month; write a number 1-12 or one of jan,"),
    ("1_5 9 * * *", "minute field '1_5' is not valid; e.g."),
    ("+5 9 * * *", "minute field '+5' is not valid"),
    ("\u0660 \u0669 * * *", "minute field '\u0660' is not valid; write numbers with the digits 0-9"),
    ("0 9 * * fri-mon", "day of week field 'fri-mon' is reversed; write the smaller first, e.g. mon-fri"),
    ("0 17-9 * * *", "hour field '17-9' is reversed; write the smaller first, e.g. 9-17"),
    ("@reboot", "kindnudge is not started by cron; use `kindnudge autostart enable`"),
    ("0 9 L * *", "'L' uses L (last), which is not supported"),
    ("0 9 15W * *", "'15W' uses W (the nearest weekday), which is not supported"),
    ("0 9 * * mon#1", "'mon#1' uses # (the nth weekday in a month), which is not supported"),
    ("0 9 ? * mon", "'?' uses ?, which is not supported; write * instead"),
]


# Plain ids: one escaped by pytest ("\\u0660") can't be named again on its command line.
@pytest.mark.parametrize(
    ("expression", "words"), REFUSED, ids=[r[0] if r[0].isascii() else "Arabic-Indic digits" for r in REFUSED]
)
def test_check_refuses_what_cron_refuses_at_the_cron_string(config_file, expression, words):
    config_file.write_text(f"notification:\n  backend: console\nschedule:\n  - cron: '{expression}'\n")
    result = run("check")
    assert result.returncode == 2, result
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"kindnudge: {config_file}:4:11: "), line
    assert words in line, line


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 9 30,31 feb *", "there is no 30 or 31 February;"),
        ("0 9 * * monday", "'monday' is not a day"),
        ("0 9 -5 * *", "day of month field '-5' is not valid"),
        ("0 \uff19 * * *", "hour field '\uff19' is not valid; write numbers with the digits 0-9"),
        ("0 8,17-9 * * *", "hour field '17-9' (in '8,17-9') is reversed"),
        ("61 * * * *", "minute field '61' is out of range 0-59"),
        ("0 9 0 * *", "day of month field '0' is out of range 1-31"),
        ("0 9 99999999999999999999 * *", "is out of range 1-31"),
        ("*/0 * * * *", "has a step of 0"),
        ("0 9 * * 5L", "'5L' uses L (last), which is not supported; write the day itself, e.g. fri"),
        ("@fortnightly", "unknown cron alias '@fortnightly'; write @hourly, @daily, @weekly, @monthly or"),
        ("0 9 * *", "a cron rule has 5 fields (minute hour day month weekday), got 4"),
        ("0 0 9 * * *", "got 6"),
    ],
)
def test_more_refusals_say_what_to_write(expression, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_cron(expression)


def test_an_alias_written_without_quotes_is_told_to_have_them(config_file):
    """YAML reserves @ at the start of a value, so `cron: @daily` is not even YAML."""
    config_file.write_text("notification:\n  backend: console\nschedule:\n  - cron: @daily # midnight\n")
    result = run("check")
    assert result.returncode == 2
    where = f"kindnudge: {config_file}:4:11: "
    assert (
        result.stderr == where + 'not valid YAML: a value cannot start with @; put it in quotes: "@daily"\n'
    )
