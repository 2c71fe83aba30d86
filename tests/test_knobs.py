"""The waits the tests shorten through the environment never stop the program."""

from __future__ import annotations

import pytest

from kindnudge import knobs

from conftest import run


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0.5", 0.5),
        ("nan", 3.0),
        ("inf", 3.0),
        ("-inf", 3.0),
        ("abc", 3.0),
        ("", 3.0),
        ("0", 0.1),
        ("-1", 3.0),
        ("-0.01", 3.0),
        ("1e9", 3.0),
        ("1e308", 3.0),
    ],
)
def test_a_wait_only_shortens_and_an_unreadable_one_leaves_the_default(monkeypatch, text, seconds):
    monkeypatch.setenv("KINDNUDGE_SOME_WAIT", text)
    assert knobs.seconds("KINDNUDGE_SOME_WAIT", 3.0, 0.1) == seconds


def test_now_runs_whatever_its_wait_says(config_file):
    config_file.write_text("timezone: UTC\n")
    result = run("now", "--dry-run", env={"KINDNUDGE_NOW_TIMEOUT": "nan"})
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("variable", ["KINDNUDGE_RECHECK", "KINDNUDGE_RETRY", "KINDNUDGE_HEARTBEAT"])
def test_the_daemon_starts_and_watches_the_clock_whatever_its_waits_say(
    desktop, config_file, daemons, variable
):
    config_file.write_text("timezone: UTC\nschedule:\n  - at: '12:00'\n")
    daemon = daemons({**desktop.env, variable: "nan"})
    log = daemon.wait_for("started")
    assert "clock watch: timerfd" in log, "an unreadable heartbeat leaves the kernel's events"
    daemon.stop()
    assert daemon.proc.returncode == 0
    assert "Traceback" not in daemon.log_text() + daemon.stderr.read_text()
