"""pause, resume, status and history, as a user types them."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from conftest import run

UTC = timezone.utc


def status() -> dict:
    result = run("status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pause_for_a_duration_then_resume(config_file):
    config_file.write_text("timezone: UTC\n")
    before = datetime.now(UTC)
    result = run("pause", "2h")
    assert result.returncode == 0 and result.stdout.startswith("Paused until ")
    until = datetime.fromisoformat(status()["paused_until"])
    assert timedelta(hours=2) <= until - before < timedelta(hours=2, seconds=30)
    assert datetime.fromisoformat(status()["next"]["at"]) >= until, "next skips the paused span"
    assert run("resume").stdout == "Resumed.\n"
    assert status()["paused_until"] is None
    assert run("resume").stdout == "Nothing was paused.\n"


@pytest.mark.parametrize(
    ("typed", "span"),
    [
        (["2", "hours"], timedelta(hours=2)),
        (["2 hours"], timedelta(hours=2)),
        (["90", "minutes"], timedelta(minutes=90)),
        (["3 days"], timedelta(days=3)),
        (["1", "hour", "30", "minutes"], timedelta(minutes=90)),
        (["2hrs"], timedelta(hours=2)),
        (["2", "h"], timedelta(hours=2)),
        (["for", "an", "hour"], timedelta(hours=1)),
        (["1 week"], timedelta(days=7)),
    ],
)
def test_pause_for_a_duration_said_in_words(typed, span, config_file):
    config_file.write_text("timezone: UTC\n")
    before = datetime.now(UTC)
    result = run("pause", *typed)
    assert result.returncode == 0, result.stderr
    until = datetime.fromisoformat(status()["paused_until"])
    assert span <= until - before < span + timedelta(seconds=30)


@pytest.mark.parametrize("typed", [["6pm"], ["6", "pm"], ["18:00"], ["until", "6pm"]])
def test_pause_at_a_time_of_day_pauses_until_then(typed, config_file):
    config_file.write_text("timezone: UTC\n")
    result = run("pause", *typed)
    until = datetime.fromisoformat(status()["paused_until"])
    day = "today" if until.date() == datetime.now(UTC).date() else "tomorrow"
    assert result.stdout == f"Paused until {day} 18:00 UTC. `kindnudge resume` starts again sooner.\n"
    assert timedelta(0) < until - datetime.now(UTC) <= timedelta(days=1)


@pytest.mark.parametrize("typed", ["06:15", "6.15am", "6:15 a.m."])
def test_pause_until_a_clock_time_is_the_next_such_time(typed, config_file):
    config_file.write_text("timezone: Asia/Kolkata\n")
    assert run("pause", "--until", typed).returncode == 0
    until = datetime.fromisoformat(status()["paused_until"]).astimezone(ZoneInfo("Asia/Kolkata"))
    assert until.strftime("%H:%M") == "06:15"
    assert timedelta(0) < until - datetime.now(UTC) <= timedelta(days=1)


def test_pause_today_ends_at_local_midnight(config_file):
    config_file.write_text("timezone: America/New_York\n")
    assert run("pause", "--today").returncode == 0
    until = datetime.fromisoformat(status()["paused_until"])
    local = until.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (0, 0)


def test_now_while_paused_shows_one_anyway_and_says_so(config_file):
    config_file.write_text("timezone: UTC\nnotification:\n  backend: console\n")
    assert run("pause", "--until", "23:59").returncode == 0
    until = datetime.fromisoformat(status()["paused_until"])
    day = "today" if until.date() == datetime.now(UTC).date() else "tomorrow"
    result = run("now")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Paused until {day} 23:59 UTC; showing one anyway because you asked.\n")
    assert json.loads(run("history", "--json").stdout)[0]["status"] == "delivered"
    run("resume")
    assert "Paused" not in run("now").stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["pause", "soon"], "'soon' is not a duration; write a number with a unit, e.g."),
        (["pause", "2"], 'kindnudge: \'2\' has no unit; write e.g. "2m" or "2h"\n'),
        (["pause", "1.5", "hours"], "'1.5 hours' is not a duration: use whole numbers, e.g. 1h30m"),
        (["pause", "25:00"], "'25:00' is not a time of day; the hour is 0 to 23"),
        (["pause", "2", "hours", "2", "hours"], "'2 hours 2 hours' is not a duration"),
        (["pause", "0"], "a pause of 0 does nothing"),
        (["pause", "--until", "2001-01-01T00:00"], "has already passed"),
        (["pause"], "one of the arguments DURATION --until --today is required"),
        (["pause", "2h", "--today"], "not allowed with argument"),
    ],
)
def test_pause_mistakes(args, words, config_file):
    result = run(*args)
    assert result.returncode == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_history_says_which_nudges_came_by_hand(config_file):
    config_file.write_text("timezone: UTC\nnotification:\n  backend: console\n")
    assert run("now").returncode == 0
    (line,) = run("history").stdout.splitlines()
    assert "  delivered  by hand      " in line
    assert json.loads(run("history", "--json").stdout)[0]["rule"] is None
    assert run("forget", "--yes").returncode == 0
    (line,) = run("history").stdout.splitlines()
    assert "  erased     -            any " in line, "erasing is no nudge"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auto tries Linux's backends here")
def test_status_says_what_auto_tries_without_trying_it(config_file):
    assert "\nbackend: auto (dbus, then plyer)\n" in run("status").stdout
    assert json.loads(run("status", "--json").stdout)["backend"] == "auto"
    config_file.write_text("notification:\n  backend: console\n")
    assert "\nbackend: console\n" in run("status").stdout


def test_status_and_history_after_a_delivery_and_a_failure(desktop, config_file):
    config_file.write_text("timezone: UTC\n")
    assert run("now", "--kind", "reframe").returncode == 0
    desktop.stop_server()
    assert run("now", "--kind", "self-care").returncode == 1
    report = status()
    assert report["running"] is False and report["pid"] is None
    assert report["last_delivered"]["kind"] == "reframe"
    assert report["last_error"]["kind"] == "self-care"
    assert "no notification service" in report["last_error"]["reason"]
    assert report["backend"] == "auto"
    assert report["next"]["rule"] in ("morning", "evening")
    failed, delivered = json.loads(run("history", "--json").stdout)
    assert (failed["status"], delivered["status"]) == ("failed", "delivered")
    assert set(delivered) == {"at", "due", "rule", "kind", "id", "text", "status", "reason"}
    lines = run("history", "-n", "1").stdout.splitlines()
    assert len(lines) == 1 and "failed" in lines[0] and "no notification service" in lines[0]
    text = run("status").stdout
    assert "daemon: not running; start it with `kindnudge run`" in text
    shown = datetime.fromisoformat(report["last_delivered"]["at"])
    assert f"last delivered: today {shown:%H:%M} UTC: {delivered['text']}" in text


def test_status_and_history_with_a_broken_config_still_say_what_they_know(config_file, daemons):
    config_file.write_text("timezone: UTC\nnotification:\n  backend: console\n")
    shown = run("now", "--kind", "reframe").stdout.splitlines()[-1]
    assert run("pause", "2h").returncode == 0
    daemon = daemons()
    config_file.write_text("timezone: UTC\nnotification:\n  timeout: 20\n")  # the daemon keeps its schedule
    problem = f'kindnudge: {config_file}:3:12: 20 has no unit; write e.g. "20s" or "20m"\n'

    result = run("status")
    assert (result.returncode, result.stderr) == (2, problem), "the problem comes last, and sets the status"
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"daemon: running (pid {daemon.proc.pid})",
        "next: unknown until the problem below is fixed; the running daemon keeps its previous schedule",
    ]
    assert lines[2].startswith("last delivered: today ") and lines[2].endswith(f": {shown}")
    assert lines[3].startswith("paused: until ")
    assert lines[5] == "last delivery error: none"

    result = run("status", "--json")
    assert (result.returncode, result.stderr) == (2, problem)
    report = json.loads(result.stdout)
    assert (report["running"], report["pid"], report["next"]) == (True, daemon.proc.pid, None)
    assert report["last_delivered"]["text"] == shown and report["paused_until"]
    assert report["config_error"] == problem.removeprefix("kindnudge: ").rstrip("\n")

    result = run("history")
    assert (result.returncode, result.stderr) == (2, problem)
    assert shown in result.stdout
    config_file.write_text("timezone: UTC\nnotification:\n  backend: console\n")
    assert status()["config_error"] is None


class Screen:
    name = "dbus"

    def __init__(self) -> None:
        self.shown = []

    def send(self, notification):
        self.shown.append(notification.body)


@pytest.mark.parametrize(("after", "told"), [(timedelta(0), False), (-timedelta(microseconds=1), True)])
def test_now_says_paused_only_while_the_pause_lasts(home, after, told):
    """A pause covers the moments before its end (as the daemon skips them): at
    its end, `now` shows the nudge without saying it overrides a pause."""
    from random import Random

    from kindnudge import paths
    from kindnudge.config import load_config
    from kindnudge.library import load_all
    from kindnudge.notify import Chain
    from kindnudge.nudge import by_hand
    from kindnudge.state import PAUSED_UNTIL, State

    config = load_config(paths.config_file(None)[0], required=False)
    library = load_all(paths.builtin_packs_dir(), [])
    until, screen, said = datetime(2026, 6, 1, 18, tzinfo=UTC), Screen(), []
    with State(paths.state_db()) as state:
        with state.transaction():
            state.set_moment(PAUSED_UNTIL, until)
        done = by_hand(
            library, config, ["reframe"], state, Chain([screen]), until + after, Random(1), said.append
        )
    assert done.error is None and screen.shown == [done.message.text]
    assert said == ([until] if told else [])
