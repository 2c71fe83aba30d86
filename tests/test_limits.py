"""Every number that comes in on the command line has a range, said in the
message; moments at the calendar's far ends never crash what shows them."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindnudge import paths
from kindnudge.planner import Plan
from kindnudge.schedule import Rule
from kindnudge.state import State
from kindnudge.timetext import format_duration, parse_duration

from conftest import run

UTC = timezone.utc


def one_line(result, status: int = 2) -> str:
    assert (result.returncode, result.stderr.count("\n")) == (status, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["next", "-n", "10000000"], "'10000000' is not a whole number from 1 to 1000"),
        (["next", "-n", "99999999999999999999999999"], "is not a whole number from 1 to 1000"),
        (["next", "-n", "9" * 5000], "is not a whole number from 1 to 1000"),
        (["next", "-n", "0"], "'0' is not a whole number from 1 to 1000"),
        (["next", "-n", "²"], "'²' is not a whole number from 1 to 1000"),
        (["history", "-n", "10001"], "'10001' is not a whole number from 1 to 10000"),
        (["pause", "99999999999999d"], "'99999999999999d' is too long; write at most 365d"),
        (["pause", "366d"], "'366d' is too long; write at most 365d"),
        (["pause", "9" * 5000 + "s"], "is too long; write at most 365d"),
        (["pause", "--until", "9999-12-31T23:59"], "give a moment in the years 1971 to 9000"),
        (["pause", "--until", "2999-01-01T00:00"], "is more than 365 days away; pause for at most a year"),
        (["pause", "--until", ""], "'' is not a time of day; write e.g. 08:30, 8:30am or 9pm"),
        (["pause", "until", " "], "' ' is not a time of day; write e.g. 08:30, 8:30am or 9pm"),
        (["next", "--from", "9999-12-31T00:00"], "'9999-12-31T00:00' is out of range; give a moment in the"),
        (["next", "--from", "0001-01-01T00:00+05:00"], "give a moment in the years 1971 to 9000"),
        (["next", "--from", ""], "'' is not an ISO 8601 time; write e.g. 2026-12-24T08:00"),
    ],
)
def test_numbers_out_of_range_are_refused_with_the_range(args, words):
    assert words in one_line(run(*args, timeout=10))


def test_a_pause_works_while_the_config_is_broken_and_says_what_is_wrong(config_file):
    """A daemon runs on its previous schedule meanwhile: that is when a pause is most wanted."""
    config_file.write_text("timezone: America/New_York\nquiet_hours: nonsense\n")
    result = run("pause", "2h")
    assert result.returncode == 2 and result.stdout.startswith("Paused until ")
    assert re.search(r"Paused until \S+ \d\d:\d\d E[SD]T\. ", result.stdout), "in the zone the file names"
    assert result.stderr.startswith(f"kindnudge: {config_file}:2:14: ")
    status = json.loads(run("status", "--json").stdout)
    assert status["paused_until"] is not None


def test_a_refused_pause_saves_nothing(config_file):
    one_line(run("pause", "--until", "2999-01-01T00:00"))
    assert "paused: no" in run("status").stdout


def test_the_largest_counts_and_pauses_are_accepted(config_file):
    config_file.write_text("timezone: UTC\nquiet_hours: []\n")
    result = run("next", "-n", "1000", "--json", timeout=20)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 1000
    assert run("history", "-n", "10000").returncode == 0
    assert run("pause", "365d").stdout.startswith("Paused until ")
    year_away = (datetime.now(UTC) + timedelta(days=364)).strftime("%Y-%m-%dT%H:%M+00:00")
    assert run("pause", "--until", year_away).stdout.startswith("Paused until ")


def test_the_calendar_edges_plan_without_crashing(config_file):
    config_file.write_text("timezone: Pacific/Kiritimati\nquiet_hours: []\n")
    last = run("next", "-n", "3", "--from", "9000-12-31T00:00", "--json")
    assert last.returncode == 0 and [s["at"][:10] for s in json.loads(last.stdout)] == ["9000-12-31"] * 2
    beyond = run("next", "--from", "9000-12-31T23:59")
    assert beyond.stdout == "nothing: no rule of yours comes round after that moment\n"
    first = run("next", "-n", "1", "--from", "1971-01-01T00:00", "--json")
    assert first.returncode == 0 and json.loads(first.stdout)[0]["at"].startswith("1971-01-01T09:00")


def test_a_pause_at_the_end_of_time_saved_by_an_older_version_shows(config_file):
    """Older versions took `pause --until 9999-12-31T23:59`; `status` then crashed until `resume`."""
    config_file.write_text("timezone: Pacific/Kiritimati\n")  # UTC+14: the end of 9999 overflows there
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment("paused_until", datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    result = run("status")
    assert (result.returncode, result.stderr) == (0, "")
    assert "paused: until Fri 31 Dec 9999 23:59 UTC" in result.stdout
    assert "next: nothing scheduled" in result.stdout
    status = json.loads(run("status", "--json").stdout)
    assert status["paused_until"] == "9999-12-31T23:59:00+00:00" and status["next"] is None
    assert run("resume").stdout == "Resumed.\n"


def test_plans_stay_inside_the_calendar():
    rule = Rule("r", ("reframe",), frozenset(range(7)), at=(time(9),))
    plan = Plan((rule,), ZoneInfo("Pacific/Kiritimati"), None)
    assert plan.upcoming(datetime(9999, 12, 31, 23, 59, tzinfo=UTC), 1) == []
    assert plan.upcoming(datetime.min.replace(tzinfo=UTC), 1)[0].at < datetime(1971, 1, 2, tzinfo=UTC)
    last = plan.between(datetime(8999, 12, 31, tzinfo=UTC), datetime.max.replace(tzinfo=UTC))[-1]
    assert last.at.date() == date(9000, 12, 31)


@pytest.mark.parametrize(
    ("text", "most", "words"),
    [
        ("99999999999999d", None, "'99999999999999d' is too long; write at most 36500d"),
        ("9" * 5000 + "m", None, "is too long; write at most 36500d"),
        ("25h", timedelta(days=1), "'25h' is too long; write at most 1d"),
    ],
)
def test_a_duration_too_long_is_a_value_error_naming_the_limit(text, most, words):
    with pytest.raises(ValueError, match=words):
        parse_duration(text) if most is None else parse_duration(text, most)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("1h30m", timedelta(minutes=90)),
        ("1 hour 30 minutes", timedelta(minutes=90)),
        ("1 hour and 30 minutes", timedelta(minutes=90)),
        ("2 HOURS", timedelta(hours=2)),
        ("an hour", timedelta(hours=1)),
        ("45 secs", timedelta(seconds=45)),
        ("2 wks", timedelta(days=14)),
    ],
)
def test_durations_as_people_write_them(text, span):
    assert parse_duration(text) == span


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0"),
        (timedelta(seconds=1), "1s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=150), "2h30m"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), "1d2h3m4s"),
    ],
)
def test_durations_are_written_back_as_they_are_read(span, text):
    """Messages name a limit as the user would write it in the file: the inverse of parse_duration."""
    assert format_duration(span) == text
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["1h30", "2 hours soon", "hours", "2h 3h", "\u0663h", "2 parsecs", "a"])
def test_what_is_not_a_duration_is_refused(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


AMOUNTS = st.builds("{}{}".format, st.integers(0, 10**30), st.sampled_from(["d", "h", "m", "s", "d 1h"]))


@given(AMOUNTS | st.text(alphabet="0123456789dhms \u0663", max_size=40) | st.text(max_size=20))
def test_parse_duration_raises_nothing_but_value_error(text):
    with contextlib.suppress(ValueError):
        assert parse_duration(text) <= timedelta(days=36500)
