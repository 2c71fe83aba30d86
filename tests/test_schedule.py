"""Schedule rules in config: every form a user may write, and each mistake located."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from kindnudge.config import load_config
from kindnudge.errors import ConfigError

from conftest import run


def rules(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text("schedule:\n" + text)
    return load_config(path, required=True).schedule


def test_every_rule_form(tmp_path):
    morning, spread, weekend, evening = rules(
        tmp_path,
        "  - name: morning\n    at: 8:30\n    kind: reframe\n    days: weekdays\n"
        "  - name: spread\n    random: 3\n    between: ['10:00', '21:00']\n"
        "    min_gap: 90m\n    kind: [self-care]\n    days: [sat]\n"
        "  - name: weekend\n    cron: '30 10 * * sat,sun'\n"
        "  - at: ['20:00', '18:00']\n    days: [fri-mon, wed, Saturday-Sunday, Thursday]\n",
    )
    assert (morning.at, morning.kinds, morning.days) == ((time(8, 30),), ("reframe",), frozenset(range(5)))
    assert spread.days == frozenset({5})
    assert (spread.random.count, spread.random.min_gap, spread.kinds) == (
        3,
        timedelta(minutes=90),
        ("self-care",),
    )
    assert weekend.cron.weekdays == frozenset({5, 6})
    assert weekend.kinds == ("reframe", "self-care")
    assert evening.name == "rule-4" and evening.at == (time(18), time(20))
    assert evening.days == frozenset({4, 5, 6, 0, 2, 3})


def test_a_name_may_hold_characters_without_a_unicode_name_and_a_plus_minus(tmp_path):
    """A private-use character (an icon font's heart) has no Unicode name; "±" is no plus."""
    (heart, odds) = rules(
        tmp_path, "  - {name: 'me \ue000', at: '09:00'}\n  - {name: '\u00b1 5', at: '10:00'}\n"
    )
    assert (heart.name, odds.name) == ("me \ue000", "\u00b1 5")


@pytest.mark.parametrize(
    ("days", "numbers"),
    [("Tues", {1}), ("thurs-Fridays", {3, 4}), ("[sunday, MON]", {6, 0}), ("sat-tue", {5, 6, 0, 1})],
)
def test_a_day_is_any_start_of_its_name_from_three_letters(tmp_path, days, numbers):
    (rule,) = rules(tmp_path, f"  - at: '09:00'\n    days: {days}\n")
    assert rule.days == frozenset(numbers)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("  - at: '25:00'\n", "2:9", "'25:00' is not a time of day"),
        ("  - at: 0930\n", "2:9", "write it in quotes"),
        ("  - at: 11am\n", "2:9", '\'11am\': this file writes a time as "HH:MM"; write "11:00"'),
        ("  - at: ['8:30 pm']\n", "2:10", '\'8:30 pm\': this file writes a time as "HH:MM"; write "20:30"'),
        (
            "  - at: 11.30\n",
            "2:9",
            'a time is written in quotes with a colon, e.g. "11:30", not the number 11.3',
        ),
        ("  - at: 9.05\n", "2:9", 'e.g. "09:05", not the number 9.05'),
        ("  - at: 21\n", "2:9", '21 is not a time of day; write it in quotes, e.g. "21:00"'),
        ("  - at: 930\n", "2:9", '930 is not a time of day; write it in quotes, e.g. "09:30"'),
        ("  - at: 2575\n", "2:9", '2575 is not a time of day; write it in quotes, e.g. "09:30"'),
        ("  - at: 25.5\n", "2:9", 'e.g. "09:30", not the number 25.5'),
        ("  - kind: reframe\n", "2:5", "needs exactly one of at:, random: or cron:"),
        ("  - at: '09:00'\n    cron: '* * * * *'\n", "2:5", "(this one has at and cron)"),
        ("  - at: '09:00'\n    days: funday\n", "3:11", "'funday' is not a day"),
        ("  - at: '09:00'\n    days: mon-someday\n", "3:11", "'mon-someday' is not a day"),
        ("  - at: '09:00'\n    days: mon-tue-wed\n", "3:11", "'mon-tue-wed' is not a day"),
        ("  - at: '09:00'\n    days: monkey\n", "3:11", "'monkey' is not a day"),
        ("  - at: '09:00'\n    days: []\n", "3:11", "days: needs at least one day"),
        ("  - at: '09:00'\n    name: ''\n", "3:11", "a rule's name is a short text, got ''"),
        ("  - at: '09:00'\n    name: [a]\n", "3:11", "a rule's name is a short text, got a list"),
        ("  - at: '09:00'\n    kind: []\n", "3:11", "name at least one kind: reframe, self-care or any"),
        ("  - at: '09:00'\n    days: [wed, sunshine]\n", "3:17", "'sunshine' is not a day"),
        ("  - at: '09:00'\n    days: friends-sunday\n", "3:11", "'friends-sunday' is not a day"),
        ("  - at: '09:00'\n    days: mo\n", "3:11", "'mo' is not a day"),
        (
            "  - at: '09:00'\n    kind: joy\n",
            "3:11",
            "unknown kind 'joy'; write one of: reframe, self-care, any",
        ),
        ("  - at: '09:00'\n    when: now\n", "3:5", "unknown rule key 'when'"),
        ("  - random: 3\n", "2:13", "needs between:"),
        ("  - random: 5\n    between: ['10:00', '12:00']\n    min_gap: 30m\n", "4:14", "do not fit in 2h"),
        ("  - random: 0\n    between: ['10:00', '12:00']\n", "2:13", "1 to 48"),
        (
            "  - random: 2\n    between: ['10:00', '12:00']\n    min_gap: 999999999d\n",
            "4:14",
            "min_gap takes 0 to 2h (the width of between:), got '999999999d'",
        ),
        ("  - random: 2\n    between: ['23:00', '01:00']\n    min_gap: 99999999999d\n", "4:14", "0 to 2h"),
        ("  - random: 1\n    between: ['10:00', '12:00']\n    min_gap: 2h1m\n", "4:14", "0 to 2h"),
        ("  - at: '09:00'\n    min_gap: 1h\n", "3:14", "only goes with random:"),
        ("  - cron: '61 * * * *'\n", "2:11", "cron minute field '61' is out of range"),
        ("  - cron: '* * *'\n", "2:11", "5 fields"),
        ("  - cron: '0 9 * * *'\n    days: weekends\n", "3:11", "days: does not go with cron:"),
        ("  - name: a\n    at: '09:00'\n  - name: a\n    at: '10:00'\n", "4:11", "two rules are called 'a'"),
        (
            "  - name: Morning\n    at: '09:00'\n  - name: morning\n    at: '10:00'\n",
            "4:11",
            ", as 'Morning'); give each its own name",
        ),
        ("  - name: a + b\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),
        ("  - name: 'a +'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),
        ("  - name: '+'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),
        ("  - name: tea+toast\n    at: '09:00'\n", "2:11", "write e.g. 'morning and evening'"),
        ("  - name: 'a\uff0bb'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),  # fullwidth
        ("  - name: 'a\u2795b'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),  # heavy plus
        ("  - name: 'a\u02d6b'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),  # modifier
        ("  - name: 'a\u1429b'\n    at: '09:00'\n", "2:11", "a rule's name can't hold '+'"),  # syllabics
        (
            "  - name: morning\n    at: '09:00'\n  - name: \"morn\\u200bing\"\n    at: '10:00'\n",
            "4:11",
            "two rules are called 'morn\u200bing' (first at ",
        ),
        (
            "  - name: caf\u00e9\n    at: '09:00'\n  - name: \"cafe\\u0301\"\n    at: '10:00'\n",
            "4:11",
            "two rules are called 'cafe\u0301'",
        ),
        ("  at: '09:00'\n", "2:3", "schedule: is a list of rules"),
    ],
)
def test_rule_mistakes(tmp_path, text, where, words):
    with pytest.raises(ConfigError) as error:
        rules(tmp_path, text)
    assert str(error.value).startswith(f"{tmp_path / 'c.yaml'}:{where}: ")
    assert words in str(error.value)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("  - 5\n", '2:5: each rule is a mapping such as at: "09:00", got the number 5'),
        ("  - kind: reframe\n", "2:5: a rule needs exactly one of at:, random: or cron:"),
        (
            "  - {at: '09:00', random: 2}\n",
            "2:5: a rule needs exactly one of at:, random: or cron: (this one has at and random)",
        ),
        (
            "  - at: '09:00'\n    days: sunshine\n",
            "3:11: 'sunshine' is not a day; write daily, weekdays, weekends,"
            " a day such as mon, or a range such as mon-fri",
        ),
        ("  - at: []\n", '2:9: at: needs at least one time, e.g. at: "09:00"'),
        ("  - at: '09:00'\n    days: weekday\n", "3:11: 'weekday' is not a day; write weekdays"),
        ("  - at: '09:00'\n    days: [mon, weekend]\n", "3:17: 'weekend' is not a day; write weekends"),
        (
            "  - at: '09:00'\n    days: Funday\n",
            "3:11: 'Funday' is not a day; write daily, weekdays, weekends, a day such as mon,"
            " or a range such as mon-fri",
        ),
        ("  - at: '09:00'\n    days: 'mon,wed'\n", "3:11: 'mon,wed' is not a day; write a list: [mon, wed]"),
        ("  - at: '09:00'\n    days: []\n", "3:11: days: needs at least one day"),
        (
            "  - cron: '0 9 * * *'\n    days: weekends\n",
            "3:11: days: does not go with cron:; put the days in the cron fields",
        ),
        (
            "  - name: \"a\\ab\"\n    at: '09:00'\n",
            "2:11: a rule's name has a control character (U+0007) at character 2,"
            " which a notification cannot show; remove it",
        ),
        (
            "  - at: '09:00'\n    between: ['10:00', '11:00']\n",
            "3:14: between: only goes with random:; remove it or add random: N",
        ),
        ("  - cron: 5\n", '2:11: cron: takes a text such as "30 10 * * sat,sun", got the number 5'),
        ("  - random: 3\n", '2:13: random: needs between: ["10:00", "21:00"] to say when'),
        (
            "  - random: 3\n    between: ['10:00']\n",
            '3:14: between: takes two times, e.g. ["10:00", "21:00"]',
        ),
        (
            "  - random: true\n    between: ['10:00', '12:00']\n",
            "2:13: random: takes how many a day, 1 to 48, got true (a yes/no value)",
        ),
        (
            "  - random: 3\n    between: ['10:00', '10:00']\n",
            "3:14: between: start and end are the same; give a window",
        ),
        (
            "  - random: 5\n    between: ['10:00', '12:00']\n    min_gap: 30m\n",
            "4:14: 5 nudges 30m apart do not fit in 2h; widen between:, lower random: or shorten min_gap:",
        ),
        (
            "  - random: 48\n    between: ['10:00', '10:30']\n",
            "2:13: 48 nudges 1m apart do not fit in 30m; widen between:, lower random: or shorten min_gap:",
        ),
        (
            "  - name: a+b\n    at: '09:00'\n",
            "2:11: a rule's name can't hold '+': it joins the names of rules due at the same minute;"
            " write e.g. 'morning and evening'",
        ),
    ],
)
def test_rule_mistakes_are_said_in_full(tmp_path, text, said):
    with pytest.raises(ConfigError) as error:
        rules(tmp_path, text)
    assert str(error.value) == f"{tmp_path / 'c.yaml'}:{said}"


def test_two_rules_of_the_same_name_are_said_in_full(tmp_path):
    with pytest.raises(ConfigError) as error:
        rules(tmp_path, "  - name: a\n    at: '09:00'\n  - name: a\n    at: '10:00'\n")
    path = tmp_path / "c.yaml"
    assert (
        str(error.value)
        == f"{path}:4:11: two rules are called 'a' (first at {path}:2:5); give each its own name"
    )


def test_next_lists_what_comes_with_offsets_rules_and_kinds(config_file):
    config_file.write_text(
        "timezone: America/New_York\nquiet_hours: []\nschedule:\n"
        "  - {name: early, at: '02:30', kind: reframe}\n  - {name: noon, at: '12:00'}\n"
    )
    result = run("next", "-n", "3", "--from", "2026-03-08T00:00", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"at": "2026-03-08T03:30:00-04:00", "rule": "early", "kind": "reframe"},
        {"at": "2026-03-08T12:00:00-04:00", "rule": "noon", "kind": "any"},
        {"at": "2026-03-09T02:30:00-04:00", "rule": "early", "kind": "reframe"},
    ]
    # as people read it: the zone's own name, and the year when it isn't this one
    text = run("next", "-n", "2", "--from", "2040-03-11T00:00").stdout
    assert text == "Sun 11 Mar 2040 03:30 EDT  reframe    early\nSun 11 Mar 2040 12:00 EDT  any        noon\n"


def test_check_warns_about_a_rule_that_is_always_quiet(config_file):
    config_file.write_text(
        "notification: {backend: console}\n"
        "schedule:\n  - {name: late, at: '23:00'}\n  - {name: fine, at: '12:00'}\n"
    )
    result = run("check")
    assert result.returncode == 0
    assert "warning: rule 'late' always falls inside quiet_hours" in result.stdout
    assert "'fine'" not in result.stdout


def test_next_with_every_rule_in_quiet_hours_says_so(config_file):
    config_file.write_text("schedule:\n  - {name: late, at: '23:00'}\n")
    result = run("next")
    assert (result.returncode, result.stdout) == (
        0,
        "nothing: every rule of yours falls inside quiet_hours; `kindnudge check` says which\n",
    )


def test_check_warns_about_a_rule_whose_kind_content_kinds_leaves_out(config_file):
    config_file.write_text(
        "notification: {backend: console}\ncontent: {kinds: [reframe]}\n"
        "schedule:\n  - {name: letters, at: '20:00', kind: self-care}\n  - {name: both, at: '12:00'}\n"
    )
    result = run("check")
    assert result.returncode == 0
    assert (
        "warning: rule 'letters' asks for self-care, which content.kinds leaves out,"
        " so it shows self-care anyway; add self-care to content.kinds, or change the rule's kind\n"
    ) in result.stdout
    assert "'both'" not in result.stdout


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "  - random: true\n    between: ['10:00', '12:00']\n",
            "2:13",
            "random: takes how many a day, 1 to 48, got true (a yes/no value)",
        ),
        (
            "  - random: 49\n    between: ['00:00', '23:59']\n",
            "2:13",
            "random: takes how many a day, 1 to 48, got the number 49",
        ),
        ("  - random: 3\n", "2:13", 'random: needs between: ["10:00", "21:00"] to say when'),
        (
            "  - random: 3\n    between: '10:00'\n",
            "3:14",
            'between: takes two times, e.g. ["10:00", "21:00"]',
        ),
        (
            "  - random: 3\n    between: ['10:00', '25:00']\n",
            "3:24",
            '\'25:00\' is not a time of day; write it as "HH:MM", e.g. "09:30"',
        ),
        (
            "  - random: 3\n    between: ['10:00', '10:00']\n",
            "3:14",
            "between: start and end are the same; give a window",
        ),
        (  # no min_gap: the fault is the count (the gap shrinks to 1 minute, no less)
            "  - random: 48\n    between: ['10:00', '10:10']\n",
            "2:13",
            "48 nudges 1m apart do not fit in 10m; widen between:, lower random: or shorten min_gap:",
        ),
        (
            "  - random: 3\n    between: ['10:00', '12:30']\n    min_gap: 1h30m\n",
            "4:14",
            "3 nudges 1h30m apart do not fit in 2h30m; widen between:, lower random: or shorten min_gap:",
        ),
    ],
)
def test_random_rule_mistakes_are_said_in_full_where_they_are(tmp_path, text, where, message):
    with pytest.raises(ConfigError) as error:
        rules(tmp_path, text)
    assert str(error.value) == f"{tmp_path / 'c.yaml'}:{where}: {message}"


def test_random_rules_at_their_limits_are_accepted(tmp_path):
    most, zero_gap, odd_gap, narrow = rules(
        tmp_path,
        "  - random: 48\n    between: ['00:00', '23:59']\n"
        "  - random: 2\n    between: ['10:00', '10:02']\n    min_gap: 0\n"
        "  - random: 2\n    between: ['10:00', '10:02']\n    min_gap: 90s\n"
        "  - random: 7\n    between: ['10:00', '10:10']\n",
    )
    # 48 a day fit in 23h59m with the default gap shrunk to 29 minutes
    assert (most.random.count, most.random.min_gap) == (48, timedelta(minutes=29))
    # gaps count in whole minutes, at least one: two nudges fit in two minutes
    assert zero_gap.random.min_gap == timedelta(minutes=1)
    assert odd_gap.random.min_gap == timedelta(minutes=1)
    assert narrow.random.min_gap == timedelta(minutes=1)
