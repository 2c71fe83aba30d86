"""`kindnudge setup`, driven in a real terminal as a person would, mistakes included."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path

import pexpect
import pytest

from kindnudge.config import load_config
from kindnudge.schedule import RandomTimes, Rule

from conftest import KINDNUDGE, run

LAUNCHES = {  # how a user may start it; a shell's background job ignores Ctrl+C unless kindnudge undoes that
    "directly": (KINDNUDGE, []),
    "with SIGINT ignored": ("bash", ["-c", f'trap "" INT; exec {KINDNUDGE} "$@"', "kindnudge"]),
}


def wizard(*args: str, launch: str = "directly") -> pexpect.spawn:
    env = {**os.environ, "COLUMNS": "120"}
    program, before = LAUNCHES[launch]
    return pexpect.spawn(
        program, [*before, "setup", *args], env=env, encoding="utf-8", timeout=15, dimensions=(40, 120)
    )


def answer(child: pexpect.spawn, prompt: str, text: str) -> None:
    child.expect_exact(prompt)
    child.sendline(text)


def test_first_run_conversation_with_wrong_answers(desktop, config_file, home):
    child = wizard()
    answer(child, "(fixed/random) [fixed]: ", "sometimes")
    child.expect_exact("Sorry, I couldn't use that: please answer fixed or random.")
    answer(child, "(fixed/random) [fixed]: ", "random")
    answer(child, "How many a day? (1 to 12) [3]: ", "twenty")
    child.expect_exact("give a whole number from 1 to 12")
    answer(child, "How many a day? (1 to 12) [3]: ", "4")
    answer(child, "Between which hours? [10:00-21:00]: ", "10:00-10:02")
    child.expect_exact("do not fit in 2m")
    answer(child, "Between which hours? [10:00-21:00]: ", "")
    answer(child, "[daily]: ", "someday")
    child.expect_exact("'someday' is not a day")
    answer(child, "[daily]: ", "mon-fri")
    answer(child, "or both [both]: ", "funny")
    child.expect_exact("please answer reframe, self-care or both")
    answer(child, "or both [both]: ", "self-care")
    answer(child, "(or none) [22:00-07:00]: ", "22:00")
    child.expect_exact("give two times with a dash between them")
    answer(child, "(or none) [22:00-07:00]: ", "21:30-07:30")
    answer(child, "or messages in any order? (path/any) [any]: ", "maybe")
    child.expect_exact("please answer path or any (or yes or no)")
    answer(child, "(path/any) [any]: ", "No thanks!")
    answer(child, "Useful if others can see your screen. (yes/no) [no]: ", "")
    child.expect_exact("Your next 5 nudges:")
    child.expect_exact("Sent a test notification")
    answer(child, "Start kindnudge by itself when you log in? [Y/n] ", "y")
    child.expect_exact("All set.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    (test,) = desktop.received(1)
    assert (test["appname"], test["summary"]) == ("kindnudge", "kindnudge is ready")
    assert (
        "\nschedule:\n- name: my nudges\n  random: 4\n  between: ['10:00', '21:00']\n"
        in config_file.read_text()
    )
    upcoming = json.loads(run("next", "-n", "8", "--json").stdout)
    assert {u["kind"] for u in upcoming} == {"self-care"}
    assert all(u["rule"] == "my nudges" for u in upcoming)
    assert (home / "config" / "autostart" / "kindnudge.desktop").exists()
    assert run("check").returncode == 0


def test_rerunning_keeps_other_settings(config_file):
    config_file.write_text(
        "timezone: Asia/Kolkata\nnotification:\n  title: Hello, you\n  timeout: 1m\n"
        "schedule:\n  - {name: old, at: '06:00'}\n"
    )
    result = run(
        "setup",
        "--times",
        "08:30,20:00",
        "--kinds",
        "reframe,self-care",
        "--quiet",
        "none",
        "--yes",
        "--no-test",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "\nKept your other rules as they were: old. `kindnudge config edit` changes them.\n" in result.stdout
    )
    assert {u["rule"] for u in json.loads(run("next", "-n", "6", "--json").stdout)} == {"my nudges", "old"}
    shown = run("config", "show").stdout
    assert "\ntimezone: Asia/Kolkata\n" in shown
    assert "\n  title: Hello, you\n" in shown and "\n  timeout: 1m\n" in shown
    assert "at: ['08:30', '20:00']" in shown


def test_answers_as_people_type_them_are_understood_and_written_one_way(desktop, config_file):
    """Through a real terminal, to a config that has a rule setup never wrote."""
    config_file.write_text(
        "schedule:\n  - {name: my nudges, at: '07:00'}\n  - {name: soon, at: '12:15', kind: self-care}\n"
    )
    child = wizard()
    answer(child, "(fixed/random) [fixed]: ", "Fixed")
    answer(child, "At what times? Separate them with commas [07:00]: ", "8:30am, 9 pm")  # its rule now
    answer(child, "[daily]: ", "Weekdays")
    answer(child, "or both [both]: ", "self care")
    answer(child, "(or none) [22:00-07:00]: ", "10.30pm to 7am")
    answer(child, "(path/any) [any]: ", "")
    answer(child, "(yes/no) [no]: ", "no")
    child.expect_exact("Your next 5 nudges:")
    child.expect_exact("Kept your other rules as they were: soon.")
    answer(child, "Start kindnudge by itself when you log in? [Y/n] ", "n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    written = config_file.read_text()
    assert "- name: my nudges\n  at: ['08:30', '21:00']\n  days: weekdays\n  kind: self-care\n" in written
    assert "- name: soon\n  at: '12:15'\n  kind: self-care\n" in written, "a rule setup did not ask about"
    assert "quiet_hours: ['22:30', '07:00']\n" in written
    assert written.count("name: my nudges") == 1


FIRST_RUNS = {  # answers given on a first run, and what a second run then offers for each
    "fixed": (
        ["fixed", "8:30, 21:00", "Weekdays", "self care", "22:30-07:00", "path", "yes"],
        [
            "[fixed]: ",
            "[08:30, 21:00]: ",
            "[weekdays]: ",
            "[self-care]: ",
            "[22:30-07:00]: ",
            "[path]: ",
            "[yes]: ",
        ],
    ),
    "random": (
        ["random", "4", "9am-6pm", "mon, wed and fri", "reframe", "none", "any", "n"],
        [
            "[random]: ",
            "[4]: ",
            "[09:00-18:00]: ",
            "[mon, wed, fri]: ",
            "[reframe]: ",
            "[none]: ",
            "[any]: ",
            "[no]: ",
        ],
    ),
}


def converse(prompts: list[str], answers: list[str]) -> None:
    """One whole `setup --no-test` in a terminal, not started at login."""
    child = wizard("--no-test")
    for prompt, text in zip(prompts, answers, strict=True):
        answer(child, prompt, text)
    answer(child, "Start kindnudge by itself when you log in? [Y/n] ", "n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("first", FIRST_RUNS)
def test_running_setup_again_offers_your_answers_so_enter_keeps_them(config_file, first):
    given, offered = FIRST_RUNS[first]
    converse(["]: "] * len(given), given)
    settings = run("config", "show").stdout
    assert "my nudges" in settings
    converse(offered, [""] * len(given))  # each prompt shows the answer given before; Enter takes it
    assert run("config", "show").stdout == settings
    assert config_file.read_text().count("my nudges") == 1


def test_setup_options_left_out_keep_their_current_answer(config_file):
    first = run("setup", "--random", "5", "--between", "9-17", "--days", "weekends", "--kinds", "reframe",
                "--yes", "--no-test")  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert run("setup", "--quiet", "none", "--yes", "--no-test").returncode == 0
    shown = run("config", "show").stdout
    assert "\n  random: 5\n  between: ['09:00', '17:00']\n  days: weekends\n  kind: reframe\n" in shown
    assert "\nquiet_hours: []\n" in shown and "\n  kinds: [reframe]\n" in shown


@pytest.mark.parametrize(
    ("options", "written"),
    [
        (["--times", "8:30am, 9pm"], "at: ['08:30', '21:00']"),
        (["--times", "8.30"], "at: ['08:30']"),
        (["--times", "9 pm; noon"], "at: ['12:00', '21:00']"),
        (["--times", "12am and 12:30 p.m."], "at: ['00:00', '12:30']"),
        (["--times", "1am, 1:15 pm"], "at: ['01:00', '13:15']"),
        (["--kinds", "Self-Care"], "kind: self-care"),
        (["--kinds", "BOTH"], "kind: any"),
        (["--kinds", "reframe and selfcare"], "kind: any"),
        (["--days", "Weekdays"], "days: weekdays"),
        (["--days", "Monday to Friday"], "days: mon-fri"),
        (["--days", "Mon, Wed and Fri"], "days: [mon, wed, fri]"),
        (["--random", "3", "--between", "10am-9pm"], "between: ['10:00', '21:00']"),
    ],
)
def test_setup_options_read_times_days_and_kinds_as_people_write_them(options, written, config_file):
    result = run("setup", *options, "--yes", "--no-test")
    assert result.returncode == 0, result.stderr
    assert f"\n  {written}\n" in config_file.read_text()


@pytest.mark.parametrize(
    ("times", "said"),
    [
        ("13pm", "'13pm' is not a time of day: with am or pm the hour is 1 to 12"),
        ("0am", "'0am' is not a time of day: with am or pm the hour is 1 to 12"),
        ("24:00", "'24:00' is not a time of day; the hour is 0 to 23, or 1 to 12 with am or pm"),
        ("half past eight", "'half' is not a time of day; write e.g. 08:30, 8:30am or 9pm"),
    ],
)
def test_a_time_that_is_not_one_is_still_refused(times, said, config_file):
    result = run("setup", "--times", times, "--yes", "--no-test")
    assert (result.returncode, result.stderr) == (2, f"kindnudge: {said}\n")
    assert not config_file.exists()


def test_setup_over_a_hand_written_config_keeps_its_words_quoted_and_its_comments_aside(config_file):
    hand_written = (
        "# mornings are the worst\ntimezone: UTC\nschedule:\n  # before work\n"
        '  - name: early\n    at: "07:45"\n  - name: often\n    cron: "0 10 * * sun"\n'
    )
    config_file.write_text(hand_written)
    result = run("setup", "--times", "8:15", "--yes", "--no-test")
    assert result.returncode == 0, result.stderr
    backup = config_file.with_name("config.yaml.bak")
    assert (
        f"Your own comments are not in the new file: the file as it was is kept in {backup}\n"
        in result.stdout
    )
    assert backup.read_text() == hand_written
    written = config_file.read_text()
    assert "\n  at: '07:45'\n" in written, "quoted, as the README asks: a number to some YAML readers"

    run("setup", "--times", "8:30", "--yes", "--no-test")  # setup's own comments only: nothing set aside
    assert backup.read_text() == hand_written


@pytest.mark.parametrize(
    ("said", "means"),
    [("the path", "path"), ("A path!", "path"), ("yes please", "path"), ("any order", "any")],
)
def test_the_path_question_takes_answers_as_people_give_them(said, means):
    from kindnudge.setup import Offered, journey_question

    assert journey_question(Offered())[2](said) == means


def test_a_word_that_only_starts_like_a_day_is_refused(config_file):
    result = run("setup", "--days", "monkey", "--yes", "--no-test")
    assert result.returncode == 2
    assert "'monkey' is not a day" in result.stderr
    assert not config_file.exists()


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ('quiet_hours: ["23:00", "06:30"]  # I sleep late\n', True),
        ("notification: {title: 'My #1 nudge'}\n", False),
        ('notification:\n  title: "It\'s # not a comment"\n', False),
    ],
)
def test_a_comment_at_the_end_of_a_line_is_kept_aside_too(config_file, written, kept):
    config_file.write_text(written)
    result = run("setup", "--times", "09:00", "--yes", "--no-test")
    assert result.returncode == 0, result.stderr
    backup = config_file.with_name("config.yaml.bak")
    assert backup.exists() == kept and ("Your own comments" in result.stdout) == kept


def test_setup_takes_its_own_rule_back_whatever_case_it_was_written_in(config_file):
    config_file.write_text("schedule:\n  - name: My  Nudges\n    at: '07:15'\n")
    result = run("setup", "--times", "08:30", "--yes", "--no-test")
    assert result.returncode == 0, result.stderr
    assert [(u["rule"], u["at"][11:16]) for u in json.loads(run("next", "-n", "2", "--json").stdout)] == [
        ("my nudges", "08:30")
    ] * 2


def test_setup_keeps_the_gap_it_does_not_ask_about(config_file):
    config_file.write_text(
        "schedule:\n  - name: my nudges\n    random: 2\n    between: ['10:00', '21:00']\n    min_gap: 4h\n"
    )
    assert run("setup", "--days", "sun", "--yes", "--no-test").returncode == 0
    assert load_config(config_file, required=True).schedule[0].random.min_gap == timedelta(hours=4)


def test_a_mistake_already_in_the_config_is_named_where_it_is_before_setup_writes(config_file):
    mistaken = "schedule:\n  - name: other\n    at: '07:15'\n    days: mon\u2013fri\n"
    config_file.write_text(mistaken)
    result = run("setup", "--times", "08:30", "--yes", "--no-test")
    assert result.returncode == 2
    assert result.stderr.startswith(f"kindnudge: {config_file}:4:11: 'mon\u2013fri' is not a day;")
    assert result.stderr.endswith(
        "; setup keeps the rest of your config, so fix this first: kindnudge config edit\n"
    )
    assert config_file.read_text() == mistaken


def test_non_interactive_mistake_is_one_line_and_changes_nothing(config_file):
    config_file.write_text("catch_up: 1h\n")
    result = run("setup", "--times", "25:00", "--yes")
    assert result.returncode == 2
    assert (
        result.stderr
        == "kindnudge: '25:00' is not a time of day; the hour is 0 to 23, or 1 to 12 with am or pm\n"
    )
    assert config_file.read_text() == "catch_up: 1h\n"


@pytest.mark.parametrize("launch", LAUNCHES)
def test_stopping_midway_changes_nothing(config_file, launch):
    config_file.write_text("catch_up: 1h\n")
    child = wizard(launch=launch)
    answer(child, "(fixed/random) [fixed]: ", "fixed")
    child.expect_exact("At what times?")
    child.sendcontrol("c")
    child.expect_exact("kindnudge: stopped; nothing was changed\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert config_file.read_text() == "catch_up: 1h\n"
    assert not [p for p in config_file.parent.iterdir() if p.name.startswith(".config-")]


@pytest.mark.parametrize("key", ["d", "c"])
def test_ctrl_d_or_c_at_the_last_question_saves_nothing(home, config_file, key):
    config_file.write_text("catch_up: 1h\n")
    child = wizard("--no-test")
    for prompt in (
        "[fixed]: ",
        "[09:00, 20:00]: ",
        "[daily]: ",
        "[both]: ",
        "[22:00-07:00]: ",
        "[any]: ",
        "[no]: ",
    ):
        answer(child, prompt, "")
    child.expect_exact("Start kindnudge by itself when you log in? [Y/n] ")
    child.sendcontrol(key)
    child.expect_exact("kindnudge: stopped; nothing was changed\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == {"d": 1, "c": 130}[key]
    assert config_file.read_text() == "catch_up: 1h\n"
    assert sorted(p.name for p in config_file.parent.parent.iterdir()) == ["kindnudge"]  # no autostart/
    assert [p.name for p in config_file.parent.iterdir()] == ["config.yaml"]


ANSWERS = ["random", "4", "10:00-21:00", "weekdays", "reframe", "none", "any", "no", "y"]


@pytest.mark.parametrize("given", range(len(ANSWERS) + 1))
def test_input_ending_at_any_question_changes_nothing(home, config_file, given):
    config_file.write_text("catch_up: 1h\n")
    result = subprocess.run(
        [KINDNUDGE, "setup", "--no-test"], input="".join(f"{a}\n" for a in ANSWERS[:given]),
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    autostart = home / "config" / "autostart" / "kindnudge.desktop"
    if given == len(ANSWERS):  # every answer given: it all happens
        assert result.returncode == 0 and "\n  random: 4\n" in config_file.read_text() and autostart.exists()
        return
    assert result.returncode == 1
    assert result.stderr == (
        "kindnudge: stopped; nothing was changed; to set up without questions, use --yes (see --help)\n"
    )
    assert config_file.read_text() == "catch_up: 1h\n" and not autostart.exists()
    assert [p.name for p in config_file.parent.iterdir()] == ["config.yaml"]


@pytest.mark.parametrize("stdin", ["</dev/null", "<&-"])
def test_setup_with_no_input_at_all_stops_cleanly(config_file, stdin):
    result = subprocess.run(
        ["bash", "-c", f'exec "$0" setup {stdin}', KINDNUDGE], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("kindnudge: stopped; nothing was changed;")
        and result.stderr.count("\n") == 1
    )
    assert not config_file.exists()


def test_yes_with_autostart(home, config_file):
    result = run("setup", "--random", "2", "--between", "09:00-12:00", "--yes", "--no-test", "--autostart")
    assert result.returncode == 0, result.stderr
    (rule,) = load_config(config_file, required=True).schedule
    assert rule == Rule("my nudges", ("reframe", "self-care"),
                        random=RandomTimes(2, time(9), time(12), timedelta(minutes=30)))  # fmt: skip
    days = {}
    for slot in json.loads(run("next", "-n", "6", "--json").stdout):
        at = datetime.fromisoformat(slot["at"])
        assert time(9) <= at.time() < time(12) and slot["rule"] == "my nudges"
        days[at.date()] = days.get(at.date(), 0) + 1
    assert sorted(days.values())[1:] == [2, 2], days  # two a day (the first day may be half over)
    entry = (home / "config" / "autostart" / "kindnudge.desktop").read_text()
    assert re.search(rf"\nExec={re.escape(str(Path(KINDNUDGE).parent))}/python3? -m kindnudge run\n", entry)
    assert (
        "\nIf the hurt feels too heavy to carry, the article suggests a therapist or a support group"
        in result.stdout
    )
    assert result.stdout.endswith(
        "\nAll set. From your next login it starts by itself. To start it now: kindnudge run\n"
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--random", "0"], "give a whole number from 1 to 12"),
        (["--random", "13"], "give a whole number from 1 to 12"),
        (
            ["--times", "08:00", "--quiet", "07:00-09:00"],
            "every nudge at these times falls inside the quiet hours 07:00-09:00, so none would ever show;"
            " choose other times or quiet hours (or none)",
        ),
        (["--random", "3", "--between", "23:00-23:30"], "falls inside the quiet hours 22:00-07:00"),
    ],
)
def test_options_that_would_never_show_a_nudge_are_refused(options, said, config_file):
    config_file.write_text("catch_up: 1h\n")
    result = run("setup", *options, "--yes", "--no-test")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("kindnudge: ") and said in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert config_file.read_text() == "catch_up: 1h\n"


def test_the_conversation_asks_again_for_quiet_hours_that_hide_every_nudge(config_file):
    answers = ["fixed", "08:00", "daily", "both", "07:00-09:00", "22:00-07:00", "any", "no", "n"]
    result = subprocess.run(
        [KINDNUDGE, "setup", "--no-test"], input="".join(f"{a}\n" for a in answers),
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Quiet hours, when nothing is ever shown?") == 2
    assert (
        "Sorry, I couldn't use that: every nudge at these times falls inside the quiet hours 07:00-09:00"
        in (result.stdout)
    )
    assert "quiet_hours: ['22:00', '07:00']" in config_file.read_text()


def test_quiet_hours_that_silence_a_rule_setup_kept_are_warned_of(config_file):
    """A rule setup did not write, now inside the new quiet hours, as `check` would say."""
    config_file.write_text("schedule:\n  - name: morning\n    at: '08:00'\n")
    result = run("setup", "--yes", "--no-test", "--times", "20:00", "--quiet", "07:30-08:30")
    assert result.returncode == 0, result.stderr
    assert "warning: rule 'morning' always falls inside quiet_hours" in result.stdout


def test_setup_offers_the_journey_in_one_question_and_then_what_follows_it(config_file, fake_clock):
    """Answered `path`: a 3-week path begins, with the article's advice; once
    it is complete, the same question asks what comes next."""
    child = pexpect.spawn(
        KINDNUDGE, ["setup", "--no-test"], env={**os.environ, **fake_clock.env, "COLUMNS": "120"},
        encoding="utf-8", timeout=15, dimensions=(40, 120),
    )  # fmt: skip
    for prompt in ("[fixed]: ", "[09:00, 20:00]: ", "[daily]: ", "[both]: ", "[22:00-07:00]: "):
        answer(child, prompt, "")
    answer(
        child,
        "Would you like a 3-week path through the article, or messages in any order? (path/any) [any]: ",
        "path",
    )
    answer(child, "[no]: ", "")
    answer(child, "Start kindnudge by itself when you log in? [Y/n] ", "n")
    child.expect_exact("Your 21-day path has begun: day 1 of 21: getting through the first days.")
    child.expect_exact(
        "the article suggests a therapist or a support group: a safe space to work through it."
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(run("journey", "--json", env=fake_clock.env).stdout)["day"] == 1
    fake_clock.set(22 * 86400)
    refused = run("setup", "--yes", "--no-test", "--journey", "sideways", env=fake_clock.env)
    assert refused.returncode == 2 and "please answer fewer, any, path or stop" in refused.stderr
    chosen = run("setup", "--yes", "--no-test", "--journey", "fewer", env=fake_clock.env)
    assert "After your path: fewer nudges (one a day)." in chosen.stdout
    assert json.loads(run("journey", "--json", env=fake_clock.env).stdout)["after"] == "fewer"
