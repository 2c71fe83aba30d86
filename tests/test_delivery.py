"""Delivery to a real notification server (dunst on Xvfb, private session bus)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kindnudge import paths
from kindnudge.errors import DeliveryError
from kindnudge.notify import Notification, backend
from kindnudge.state import State

from conftest import run
from desktop import Desktop


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


@pytest.mark.reliability  # twenty real deliveries
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


@pytest.fixture
def on_demand(tmp_path, monkeypatch):
    """A desktop whose bus starts the notification server at the first call that
    asks for it (D-Bus activation, as on i3 and sway); none is running yet.
    The service file is where a session bus looks for the user's own ones."""
    data_home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    services = data_home / "dbus-1" / "services"
    services.mkdir(parents=True)
    session = Desktop(tmp_path / "desktop")

    def start(command: list[str] | None = None) -> Desktop:
        command = command or session.dunst_command()
        (services / "org.knopwob.dunst.service").write_text(
            f"[D-BUS Service]\nName=org.freedesktop.Notifications\nExec={' '.join(command)}\n"
        )
        session.start(with_server=False, services=services)
        for key, value in session.env.items():
            monkeypatch.setenv(key, value)
        return session

    yield start
    session.stop()


@pytest.mark.parametrize("name", ["dbus", "plyer"])
def test_a_server_started_on_demand_is_started_by_the_first_nudge(on_demand, config_file, name):
    desktop = on_demand()
    config_file.write_text(f"notification:\n  backend: {name}\n")
    check = run("check")
    assert check.returncode == 0
    assert "not running yet; the bus will start it (dunst) on the first nudge\n" in check.stdout
    assert not desktop.server_on_bus(), "check must not start anything"
    result = run("now")
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    assert result.stdout == f"{got['summary']}\n{got['body']}\n"
    assert json.loads(run("history", "--json").stdout)[0]["reason"] == f"by {name}"
    assert "served by dunst" in run("check").stdout


def test_a_server_the_bus_cannot_start_is_explained_and_nothing_consumed(on_demand):
    on_demand(["/bin/false"])
    result = run("now", "--kind", "reframe")
    assert result.returncode == 1
    assert result.stderr == (
        "kindnudge: the session bus could not start the notification service (false):"
        " org.freedesktop.DBus.Error.Spawn.ChildExited:"
        " Process org.freedesktop.Notifications exited with status 1; tried dbus and plyer\n"
    )
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == set()


def test_a_server_slow_to_start_is_waited_for_within_bounds(on_demand, monkeypatch):
    from kindnudge.notify import dbus

    on_demand(["/bin/sleep", "5"])  # never takes the name
    monkeypatch.setattr(dbus, "START_TIMEOUT_S", 0.5)
    with pytest.raises(DeliveryError) as caught:
        backend("dbus").send(Notification("t", "b", timedelta(seconds=5)))
    assert str(caught.value) == (
        "the session bus started the notification service (sleep), but it was not ready within 0.5s"
    )
