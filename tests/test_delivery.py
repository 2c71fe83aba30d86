"""Delivery to a real notification server (dunst on Xvfb, private session bus)."""

from __future__ import annotations

import json

from kindnudge import paths
from kindnudge.state import State

from conftest import run


def packs_by_text():
    return {m["text"]: m for m in json.loads(run("list", "--json").stdout)}


def test_now_reaches_the_notification_server(desktop):
    result = run("now")
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    message = packs_by_text()[got["body"]]
    assert got["appname"] == "kindnudge"
    assert got["summary"] == {"reframe": "A gentle reframe", "self-care": "A moment for you"}[message["kind"]]
    assert result.stdout == f"{got['summary']}\n{got['body']}\n"
    assert got["timeout"] == "20000"  # the configured 20s, which plyer alone would drop


def test_twenty_reframes_in_a_row_are_all_different(desktop):
    for _ in range(20):
        assert run("now", "--kind", "reframe").returncode == 0
    bodies = [n["body"] for n in desktop.received(20)]
    assert len(bodies) == 20 and len(set(bodies)) == 20
    known = packs_by_text()
    assert {known[b]["kind"] for b in bodies} == {"reframe"}


def test_no_server_means_exit_1_a_reason_and_nothing_consumed(desktop):
    desktop.stop_server()
    result = run("now", "--kind", "reframe")
    assert result.returncode == 1
    assert result.stderr == (
        "kindnudge: no notification service is running on the desktop session bus;"
        " start your desktop's notification daemon (e.g. dunst, mako); tried dbus and plyer\n"
    )
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == set()
        (entry,) = state.history(5)
    assert entry.status == "failed" and "no notification service" in entry.reason


def test_no_session_bus_at_all_is_explained(monkeypatch):
    result = run("now", env={"XDG_RUNTIME_DIR": ""})
    assert result.returncode == 1
    assert "DBUS_SESSION_BUS_ADDRESS is not set" in result.stderr


def test_check_names_the_backend_and_the_server(desktop):
    result = run("check")
    assert result.returncode == 0
    assert "backend: dbus: org.freedesktop.Notifications, served by dunst" in result.stdout


def test_a_title_starting_with_a_dash_still_arrives(desktop, config_file):
    config_file.write_text("notification:\n  title: '- breathe -'\n  timeout: 0\n")
    assert run("now").returncode == 0, "notify-send would read '- breathe -' as an option"
    (got,) = desktop.received(1)
    assert got["summary"] == "- breathe -"
    assert got["timeout"] == "0"
