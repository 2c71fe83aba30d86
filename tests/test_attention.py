"""The desktop's sources of a bad moment, each against a real part on the
tests' own desktop: dunst, a window manager, the X server, gsettings and
xfconfd, and stub services on the private bus for KDE's Inhibited property
and a screensaver."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kindnudge.desktop import RESPECTS, Busy, Offer
from kindnudge.desktop.attention import Attention
from kindnudge.desktop.dnd import GnomeBanners
from kindnudge.desktop.fullscreen import WindowsBusy, WindowsLocked
from kindnudge.notify.session import Changed, Session

from desktop import Desktop, StubService, WindowManager

TEN_MINUTES = timedelta(minutes=10)
NOTIFICATIONS = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")


def attention(*respect: str, away_after: timedelta = TEN_MINUTES) -> Attention:
    return Attention(respect or RESPECTS, away_after)


def eventually(check: Callable[[], object], wait_s: float = 3.0) -> object:
    """`check()`'s first truthy answer, for what the desktop does asynchronously."""
    deadline = time.monotonic() + wait_s
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return answer


def dunstctl(desktop: Desktop, *args: str) -> None:
    subprocess.run(["dunstctl", *args], env={**os.environ, **desktop.env}, check=True, timeout=10)


@pytest.fixture
def bare_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """Xvfb and the private bus, with no notification server: a stub takes its place."""
    session = Desktop(tmp_path / "desktop").start(with_server=False)
    for key, value in session.env.items():
        monkeypatch.setenv(key, value)
    yield session
    session.stop()


def stub(desktop: Desktop, name: str, path: str, **kwargs: object) -> StubService:
    return StubService(desktop.env["DBUS_SESSION_BUS_ADDRESS"], name, path, name, **kwargs).start()  # type: ignore[arg-type]


# -- what this desktop offers ---------------------------------------------------------


def test_offered_lists_exactly_what_the_tests_desktop_has(desktop: Desktop) -> None:
    assert attention().offered() == [
        Offer("do-not-disturb", "dunst's paused state", None),
        Offer("away", "the X server's idle time", None),
    ]


def test_a_window_manager_adds_the_fullscreen_state(desktop: Desktop, window_manager: WindowManager) -> None:
    assert [offer.source for offer in attention().offered()] == ["do-not-disturb", "fullscreen", "away"]


def test_without_a_desktop_nothing_is_offered_and_nothing_holds() -> None:
    everything = attention()
    assert everything.offered() == []
    assert everything.busy() is None


def test_only_the_respected_sources_are_asked(desktop: Desktop) -> None:
    dunstctl(desktop, "set-paused", "true")
    assert attention("fullscreen", "locked", "away").busy() is None
    assert attention("do-not-disturb").busy() == Busy(
        "do-not-disturb", "Do Not Disturb is on (dunst is paused)"
    )


# -- Do Not Disturb -------------------------------------------------------------------


def test_dunst_paused_is_a_bad_moment_and_resumed_is_not(desktop: Desktop) -> None:
    dunstctl(desktop, "set-paused", "true")
    assert attention().busy() == Busy("do-not-disturb", "Do Not Disturb is on (dunst is paused)")
    dunstctl(desktop, "set-paused", "false")
    assert attention().busy() is None


def test_the_servers_inhibited_property_holds_and_its_change_is_heard(bare_desktop: Desktop) -> None:
    server = stub(bare_desktop, *NOTIFICATIONS, properties={"Inhibited": ("b", True)})
    watching = attention()
    session = Session()
    try:
        session.open()
        session.listen_for(watching.signals())
        assert watching.busy() == Busy("do-not-disturb", "Do Not Disturb is on")
        assert (
            Offer(
                "do-not-disturb",
                "the notification server's Inhibited property (KDE Plasma)",
                "Do Not Disturb is on",
            )
            in watching.offered()
        )

        server.set_property("Inhibited", "b", False)
        heard = eventually(session.events, wait_s=2.0)
        assert heard == [Changed("PropertiesChanged on /org/freedesktop/Notifications")]
        assert watching.busy() is None
    finally:
        session.close()
        server.stop()


def test_changes_are_heard_again_after_the_bus_connection_is_made_afresh(bare_desktop: Desktop) -> None:
    server = stub(bare_desktop, *NOTIFICATIONS, properties={"Inhibited": ("b", False)})
    session = Session()
    try:
        session.listen_for(attention().signals())  # before any connection: kept for the first one
        session.open()
        session.close()
        session.open()  # as after the bus went away
        server.set_property("Inhibited", "b", True)
        assert eventually(session.events, wait_s=2.0) == [
            Changed("PropertiesChanged on /org/freedesktop/Notifications")
        ]
        server.emit("NotificationClosed", "uu", (7, 1))  # the server's own signal: not a change of moment
        server.set_property("Inhibited", "b", False)
        heard: list = []
        eventually(
            lambda: heard.extend(session.events()) or any(isinstance(e, Changed) for e in heard), wait_s=2.0
        )
        assert [e for e in heard if isinstance(e, Changed)] == [
            Changed("PropertiesChanged on /org/freedesktop/Notifications")
        ]
        assert len(heard) == 2  # and the Closed, as before
    finally:
        session.close()
        server.stop()


def test_a_rule_the_bus_refuses_costs_nothing_else(bare_desktop: Desktop) -> None:
    server = stub(bare_desktop, *NOTIFICATIONS, properties={"Inhibited": ("b", False)})
    session = Session()
    try:
        session.open()
        session.listen_for(["type='signal',no_such_key='x'", *attention().signals()])
        server.set_property("Inhibited", "b", True)
        assert eventually(session.events, wait_s=2.0) == [
            Changed("PropertiesChanged on /org/freedesktop/Notifications")
        ]
    finally:
        session.close()
        server.stop()


def test_a_property_this_server_lacks_is_not_offered_and_does_not_hold(
    bare_desktop: Desktop, caplog: pytest.LogCaptureFixture
) -> None:
    server = stub(bare_desktop, *NOTIFICATIONS)
    caplog.set_level(logging.DEBUG, "kindnudge")  # a source that fails says why, should this fail
    try:
        offered = attention().offered()
        assert offered == [Offer("away", "the X server's idle time", None)], caplog.text
    finally:
        server.stop()


def test_xfce_do_not_disturb_from_a_real_xfconfd(bare_desktop: Desktop, home: Path) -> None:
    xfconfd = next(Path("/usr/lib").glob("*/xfce4/xfconf/xfconfd"), None)  # Debian's multiarch folder
    if xfconfd is None:
        pytest.skip("xfconf is not installed (apt-get install xfconf)")
    env = {**os.environ, **bare_desktop.env}
    daemon = subprocess.Popen([xfconfd], env=env, stderr=subprocess.DEVNULL)
    try:
        assert eventually(lambda: "XFCE's Do Not Disturb" in [o.how for o in attention().offered()])
        assert attention().busy() is None  # never switched on: not yet written

        def query(*args: str) -> None:
            subprocess.run(
                ["xfconf-query", "-c", "xfce4-notifyd", "-p", "/do-not-disturb", *args],
                env=env,
                check=True,
                timeout=10,
            )

        query("-n", "-t", "bool", "-s", "true")
        assert attention().busy() == Busy("do-not-disturb", "Do Not Disturb is on")
        query("-s", "false")
        assert attention().busy() is None
    finally:
        daemon.terminate()
        daemon.wait(5)


# -- GNOME's show-banners, read with gsettings ---------------------------------------


@pytest.fixture
def gnome_shell(bare_desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """A GNOME Shell session as far as the probe can tell (the name on the bus),
    with the real gsettings on a settings file of this test's own."""
    if not shutil.which("gsettings"):
        pytest.skip("gsettings is not installed (apt-get install libglib2.0-bin gsettings-desktop-schemas)")
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")
    shell = stub(bare_desktop, "org.gnome.Shell", "/org/gnome/Shell")

    def show_banners(on: bool) -> None:
        subprocess.run(
            ["gsettings", "set", "org.gnome.desktop.notifications", "show-banners", str(on).lower()],
            check=True,
            timeout=10,
        )

    yield show_banners
    shell.stop()


def test_gnome_banners_off_is_do_not_disturb(gnome_shell: Callable[[bool], None]) -> None:
    assert attention().busy() is None
    gnome_shell(False)
    assert attention().busy() == Busy("do-not-disturb", "Do Not Disturb is on")
    assert Offer("do-not-disturb", "GNOME's Do Not Disturb", "Do Not Disturb is on") in attention().offered()
    gnome_shell(True)
    assert attention().busy() is None


def test_gnome_banners_are_not_read_outside_a_gnome_shell_session(
    bare_desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")
    subprocess.run(
        ["gsettings", "set", "org.gnome.desktop.notifications", "show-banners", "false"],
        check=True,
        timeout=10,
    )
    assert attention().busy() is None  # a setting left from another desktop holds nothing


def fake_gsettings(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    (folder / "gsettings").write_text(f"#!/bin/sh\n{script}\n")
    (folder / "gsettings").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_without_gsettings_or_the_schema_gnome_is_not_offered(
    gnome_shell: Callable[[bool], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert "GNOME's Do Not Disturb" not in [o.how for o in attention().offered()]
    fake_gsettings(
        tmp_path / "old",
        """echo 'No such schema "org.gnome.desktop.notifications"' >&2; exit 1""",
        monkeypatch,
    )
    assert "GNOME's Do Not Disturb" not in [o.how for o in attention().offered()]


def test_a_gsettings_that_hangs_is_given_up_on_and_holds_nothing(
    gnome_shell: Callable[[bool], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_gsettings(tmp_path / "slow", "sleep 5; echo false", monkeypatch)
    started = time.monotonic()
    assert Attention(RESPECTS, TEN_MINUTES, [GnomeBanners(timeout_s=0.3)]).busy() is None
    assert time.monotonic() - started < 2


# -- locked -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
        ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"),
    ],
)
def test_a_locked_screen_holds_and_unlocking_is_heard(desktop: Desktop, name: str, path: str) -> None:
    saver = stub(
        desktop, name, path, methods={"GetActive": ("b", (True,)), "GetSessionIdleTime": ("u", (0,))}
    )
    session = Session()
    try:
        session.open()
        session.listen_for(attention().signals())
        assert attention().busy() == Busy("locked", "the screen is locked")
        saver.methods["GetActive"] = ("b", (False,))
        saver.emit("ActiveChanged", "b", (False,))
        assert eventually(session.events, wait_s=2.0) == [Changed(f"ActiveChanged on {path}")]
        assert attention().busy() is None
    finally:
        session.close()
        saver.stop()


def test_reading_the_moment_never_starts_a_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A screensaver that is installed but not running stays off (the bus could start it)."""
    services, started = tmp_path / "services", tmp_path / "started"
    services.mkdir()
    (services / "saver.service").write_text(
        f"[D-BUS Service]\nName=org.freedesktop.ScreenSaver\nExec=/usr/bin/touch {started}\n"
    )
    session = Desktop(tmp_path / "desktop").start(services=services)
    try:
        for key, value in session.env.items():
            monkeypatch.setenv(key, value)
        assert [offer.source for offer in attention().offered()] == ["do-not-disturb", "away"]
        assert not started.exists()
    finally:
        session.stop()


# -- away -------------------------------------------------------------------------------


def test_away_from_the_screensavers_idle_time_names_the_minutes(desktop: Desktop) -> None:
    saver = stub(
        desktop,
        "org.freedesktop.ScreenSaver",
        "/org/freedesktop/ScreenSaver",
        methods={
            "GetActive": ("b", (False,)),
            "GetSessionIdleTime": ("u", (14 * 60_000 + 5_000,)),
        },  # KDE: milliseconds
    )
    try:
        assert attention().busy() == Busy("away", "you have been away for 14 minutes")
        assert attention(away_after=timedelta(minutes=15)).busy() is None
    finally:
        saver.stop()


def test_away_from_mutters_idle_monitor(desktop: Desktop) -> None:
    mutter = stub(
        desktop,
        "org.gnome.Mutter.IdleMonitor",
        "/org/gnome/Mutter/IdleMonitor/Core",
        methods={"GetIdletime": ("t", (61_000,))},
    )
    try:
        assert attention(away_after=timedelta(minutes=1)).busy() == Busy(
            "away", "you have been away for 1 minute"
        )
        assert Offer("away", "GNOME's idle time", None) in attention().offered()
    finally:
        mutter.stop()


def test_away_from_the_x_server_then_back_with_the_mouse(desktop: Desktop) -> None:
    quickly = attention("away", away_after=timedelta(milliseconds=300))
    assert quickly.busy() is None  # the fixture's desktop starts as if just touched
    away = eventually(quickly.busy)  # no input at all for 300 ms
    assert away == Busy("away", "you have been away for 0 seconds")
    subprocess.run(
        ["xdotool", "mousemove", "200", "200"], env={**os.environ, **desktop.env}, check=True, timeout=10
    )
    assert quickly.busy() is None


def test_the_x_server_is_not_asked_in_a_wayland_session(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # XWayland sees only X clients' input and windows
    assert [offer.how for offer in attention().offered()] == ["dunst's paused state"]


# -- fullscreen -------------------------------------------------------------------------


def test_a_fullscreen_window_holds_and_leaving_fullscreen_does_not(
    desktop: Desktop, window_manager: WindowManager
) -> None:
    window_manager.open_window("slides")
    assert attention().busy() is None
    window_manager.fullscreen(True)
    assert attention().busy() == Busy("fullscreen", "a window is fullscreen")
    window_manager.fullscreen(False)
    assert attention().busy() is None


def test_an_x_error_does_not_end_the_program(desktop: Desktop, window_manager: WindowManager) -> None:
    """Xlib's own handler exits the process on an X error (a window closed while
    being asked about): asked in a child, so a regression fails this test alone."""
    window_manager.open_window("gone")
    ask_about_no_window = (
        "from kindnudge.desktop import x11\n"
        "with x11.display() as handle:\n"
        "    print(x11.longs(handle, 0x7FFFFF, '_NET_WM_STATE'))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", ask_about_no_window], capture_output=True, text=True, timeout=30
    )
    assert (child.returncode, child.stdout) == (0, "None\n")


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (2, "a window is fullscreen"),  # QUNS_BUSY
        (3, "a fullscreen game or video is running"),  # QUNS_RUNNING_D3D_FULL_SCREEN
        (4, "Windows is in presentation mode"),  # QUNS_PRESENTATION_MODE
        (5, None),  # QUNS_ACCEPTS_NOTIFICATIONS
        (6, None),  # QUNS_QUIET_TIME: the first hour after a first sign-in, not Do Not Disturb
        (1, None),  # QUNS_NOT_PRESENT: told as "locked"
    ],
)
def test_windows_notification_state(state: int, why: str | None) -> None:
    probe = WindowsBusy(query=lambda: state)
    assert Attention(RESPECTS, TEN_MINUTES, [probe]).busy() == (Busy("fullscreen", why) if why else None)


@pytest.mark.parametrize("state", [1, 2, 3, 4, 5, 6, 7])
def test_windows_locked_is_its_own_kind(state: int) -> None:
    probes = [WindowsLocked(query=lambda: state)]
    locked = Busy("locked", "the screen is locked") if state == 1 else None  # QUNS_NOT_PRESENT
    assert Attention(RESPECTS, TEN_MINUTES, probes).busy() == locked
    assert Attention(set(RESPECTS) - {"locked"}, TEN_MINUTES, probes).busy() is None


def test_windows_state_off_windows_is_not_offered() -> None:
    assert Attention(RESPECTS, TEN_MINUTES, [WindowsBusy(), WindowsLocked()]).offered() == []


def test_windows_state_that_fails_holds_nothing() -> None:
    def broken() -> int:
        raise OSError("SHQueryUserNotificationState failed (HRESULT 0x80004005)")

    assert Attention(RESPECTS, TEN_MINUTES, [WindowsBusy(query=broken)]).busy() is None


def test_the_buttons_let_a_change_of_moment_pass(tmp_path: Path) -> None:
    """The daemon hands every event to the buttons first; a Changed is not theirs."""
    from datetime import datetime, timezone
    from random import Random

    from kindnudge.buttons import Buttons

    def never_loaded() -> object:
        raise AssertionError("a Changed must not reach the nudges")

    buttons = Buttons(
        tmp_path / "state.db", Session(), never_loaded, lambda: datetime.now(timezone.utc), Random(1)
    )  # type: ignore[arg-type]
    buttons.handle(Changed("ActiveChanged on /org/freedesktop/ScreenSaver"))  # and nothing raised


def test_a_notification_server_that_hangs_costs_one_wait_not_one_per_source(bare_desktop: Desktop) -> None:
    """KDE's Inhibited and dunst's paused are both asked of the notification
    server: one that takes the bus name and never answers is waited for once."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=bare_desktop.env["DBUS_SESSION_BUS_ADDRESS"]) as silent:
        silent.send_and_get_reply(message_bus.RequestName(NOTIFICATIONS[0]), timeout=5)
        started = time.monotonic()
        assert attention("do-not-disturb").busy() is None  # a source that hangs never holds
        took = time.monotonic() - started
    assert 2.0 <= took < 3.5, f"{took:.1f}s: each of its sources waited for it"


WRONG_TYPES = [("s", "false"), ("s", "true"), ("u", 1), ("v", ("b", True))]


@pytest.mark.parametrize(("signature", "value"), WRONG_TYPES)
def test_an_answer_of_the_wrong_type_never_holds(bare_desktop: Desktop, signature: str, value: object):
    """A screensaver or notification server answering "false" as text, or a
    number, is a source that fails: it can't tell, so it never holds a nudge."""
    saver = stub(
        bare_desktop,
        "org.freedesktop.ScreenSaver",
        "/org/freedesktop/ScreenSaver",
        methods={"GetActive": (signature, (value,)), "GetSessionIdleTime": (signature, (value,))},
    )
    server = stub(bare_desktop, *NOTIFICATIONS, properties={"Inhibited": (signature, value)})
    try:
        assert attention().busy() is None
        assert {o.source for o in attention().offered()} <= {"away"}  # the X server's idle time
    finally:
        server.stop()
        saver.stop()


def test_an_x_server_that_never_answers_costs_one_wait_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stopped X server, or a socket that accepts and never answers: Xlib
    itself would wait for ever."""
    silent = socket.socket()
    for number in range(150, 250):  # display :N listens on TCP port 6000 + N
        with contextlib.suppress(OSError):
            silent.bind(("127.0.0.1", 6000 + number))
            break
    silent.listen()
    monkeypatch.setenv("DISPLAY", f"127.0.0.1:{number}")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    try:
        started = time.monotonic()
        assert attention("fullscreen", "away").offered() == []
        assert attention("fullscreen").busy() is None  # the first question still hangs: no second wait
        assert time.monotonic() - started < 4
    finally:
        silent.close()  # the question that hung gets its answer (none) and lets go of the display
    from kindnudge.desktop import x11

    for thread in x11._stuck:
        thread.join(5)
    assert not any(thread.is_alive() for thread in x11._stuck)
