"""The commands as a user types them: help, version, dry runs and bad arguments."""

from __future__ import annotations

import pytest

from kindnudge import __version__, paths
from kindnudge.cli import main
from kindnudge.state import State

from conftest import run


def test_version():
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"kindnudge {__version__}\n")


@pytest.mark.parametrize(
    "command",
    [[], ["now"], ["list"], ["check"], ["next"], ["run"], ["pause"], ["resume"], ["status"], ["history"]],
)
def test_every_command_has_help(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kindnudge")
    assert "--config" not in out or command == []


@pytest.mark.parametrize("args", [["--help"], ["--help", "now"], ["--config", "x.yaml", "--help"], ["help"]])
def test_general_help_lists_every_command(args, capsys):
    assert main(args) == 0
    listed = capsys.readouterr().out.split("commands:")[1]
    for name in ("setup", "now", "list", "next", "run", "pause", "history", "favourite", "config"):
        assert f"\n    {name} " in listed


def test_help_with_a_command_gives_that_command_s_help(capsys):
    assert main(["help", "pause"]) == 0
    assert capsys.readouterr().out.startswith("usage: kindnudge pause ")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["now", "--kind", "funny"], "argument --kind: invalid choice: 'funny'"),
        (["dance"], "kindnudge: 'dance' is not a command; the commands are setup, now, list, check, next,"),
        ([], "kindnudge: say what to do, e.g. kindnudge setup the first time, or kindnudge run to start it;"),
        (["stop"], "'stop' is not a command; try kindnudge pause (for a while), or see the README's"),
        (["unhide"], "'unhide' is not a command; try kindnudge hide --undo ID; see kindnudge --help"),
        (["histroy"], "'histroy' is not a command; try kindnudge history; see kindnudge --help"),
        (["help", "stop"], "'stop' is not a command; try kindnudge pause (for a while), or see the README's"),
        # only the named command's parser is built; a config file called "now" must not fool that
        (["--config", "now", "dance"], "'dance' is not a command; the commands are setup, now, list, check"),
        # a command's own mistake points at its own help
        (
            ["pause", "2h", "--for"],
            "kindnudge pause: unrecognized arguments: --for; see kindnudge pause --help",
        ),
        (
            ["list", "everything"],
            "kindnudge list: unrecognized arguments: everything; see kindnudge list --help",
        ),
        (["pause", "2h", "--today"], "not allowed with argument DURATION; see kindnudge pause --help"),
        (["--colour", "list"], "kindnudge: unrecognized arguments: --colour; see kindnudge --help"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, words):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and words in result.stderr
    assert "Traceback" not in result.stderr


def test_dry_run_prints_title_and_text_and_leaves_the_bag_alone(config_file):
    config_file.write_text("notification:\n  title: Hello you\n")
    result = run("now", "--dry-run", "--kind", "self-care")
    assert result.returncode == 0, result.stderr
    title, text, _ = result.stdout.split("\n")
    assert title == "Hello you"
    listed = run("list", "--kind", "self-care").stdout
    assert text in listed
    with State(paths.state_db()) as state:
        assert state.seen("self-care") == set()
        assert state.history(1) == []


def test_console_backend_prints_and_consumes(config_file):
    config_file.write_text("notification:\n  backend: console\n")
    result = run("now", "--kind", "reframe")
    assert result.returncode == 0, result.stderr
    with State(paths.state_db()) as state:
        assert len(state.seen("reframe")) == 1
        (entry,) = state.history(5)
    assert entry.status == "delivered" and entry.text in result.stdout


def test_list_is_a_readable_table_under_a_header(config_file):
    (config_file.parent / "my-messages.yaml").write_text(
        "messages:\n  - {id: a-message-id-of-forty-characters-exactly, kind: reframe, text: Hi.}\n"
    )
    lines = run("list", "--kind", "reframe").stdout.splitlines()
    assert len(lines) >= 20
    assert lines[0].split() == ["ID", "KIND", "MARK", "TEXT"]
    assert lines[1] == "-- stage 1: first-days (getting through the first days)"  # stages head their rows
    assert lines[-2] == "-- any stage" and lines[-1].startswith("a-message-id-of-forty-characters-exactly ")
    kind_at = lines[0].index("KIND")
    rows = [line for line in lines[1:] if not line.startswith("-- ")]
    assert all(line[kind_at:].startswith("reframe ") for line in rows), "the longest id too"


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        ("2026-10-24T21:00:00+02:00", "yesterday 21:00 CEST"),
        ("2026-10-25T02:30:00+02:00", "today 02:30 CEST"),  # the autumn night has two 02:30s:
        ("2026-10-25T02:30:00+01:00", "today 02:30 CET"),  # the zone's name tells them apart
        ("2026-10-26T09:00:00+01:00", "tomorrow 09:00 CET"),
        ("2026-12-24T08:00:00+00:00", "Thu 24 Dec 09:00 CET"),  # in the schedule's zone, not UTC
        ("2027-01-01T09:00:00+01:00", "Fri 01 Jan 2027 09:00 CET"),
    ],
)
def test_times_are_said_as_a_person_would(moment, said, config_file):
    from datetime import datetime

    from kindnudge.commands.common import when
    from kindnudge.config import load_config

    config_file.write_text("timezone: Europe/Berlin\n")
    config = load_config(config_file, required=True)
    now = datetime.fromisoformat("2026-10-25T12:00:00+01:00")
    assert when(datetime.fromisoformat(moment), config, now) == said


def test_today_is_the_schedule_zone_s_day_not_the_machine_s(monkeypatch):
    """At 01:00 in Tokyo it is still yesterday in UTC, where this machine is."""
    import time as systime
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kindnudge.timetext import when

    monkeypatch.setenv("TZ", "UTC")
    systime.tzset()
    try:
        now = datetime.fromisoformat("2026-06-01T16:00:00+00:00")
        assert when(datetime.fromisoformat("2026-06-01T20:00:00+00:00"), ZoneInfo("Asia/Tokyo"), now) == (
            "today 05:00 JST"
        )
    finally:
        monkeypatch.undo()
        systime.tzset()


def test_help_is_as_wide_as_the_terminal_says():
    line = "print the nudge instead of showing it; it stays in the bag"
    assert line in run("now", "--help", env={"COLUMNS": "200"}).stdout
    narrow = run("now", "--help", env={"COLUMNS": "40"}).stdout
    assert line not in narrow and "print the nudge" in narrow
