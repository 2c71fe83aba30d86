"""Discreet nudges (`notification.discreet`): a neutral face on screen, the words
only when the person asks, through a real dunst, real presses and a real state
file. What the server received is read from the bus itself (dbus-monitor), as
dunst's script hook does not see hints or actions."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pexpect
import pytest
from test_buttons import marks
from test_notify import receiver  # noqa: F401
from test_setup import answer, wizard

from kindnudge.nudge import DISCREET_CLICK, DISCREET_ELSEWHERE, DISCREET_TITLE

from conftest import run
from desktop import lines_in, server_without_actions, with_menu
from running import history, next_minute, schedule, started_before

DISCREET = "notification:\n  discreet: true\n  title: For you\n"
BUTTONS = [["default", "Dismiss"], ["keep", "\u2665 Keep"], ["hide", "Hide"], ["another", "Another"]]


@pytest.fixture
def screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A desktop whose dunst hands its menu to Menu, and a dbus-monitor of what it receives."""
    session, menu = with_menu(tmp_path)
    for key, value in session.env.items():
        monkeypatch.setenv(key, value)
    watching = Monitor({**os.environ, **session.env}, tmp_path)
    yield session, menu, watching
    watching.stop()
    session.stop()


def fire(config_file: Path, fake_clock, daemons, extra: str):
    """A daemon that shows one nudge just after it has started."""
    due = next_minute()
    schedule(config_file, due, extra=extra)
    daemon = started_before(due, fake_clock, daemons)
    daemon.wait_for("delivered", timeout=30)
    return daemon


class Monitor:
    """Every Notify call on the test's bus, as dbus-monitor prints it, parsed:
    [app, replaces, icon, summary, body, actions, hints, timeout]."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.out = folder / "monitor.txt"
        rule = "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen(["dbus-monitor", "--session", rule], env=env, stdout=out)
        deadline = time.monotonic() + 5
        while "NameLost" not in self.out.read_text() and time.monotonic() < deadline:  # it is listening
            time.sleep(0.02)

    def calls(self, at_least: int) -> list[list]:
        deadline = time.monotonic() + 5
        while True:
            blocks = [b for b in re.split(r"\n(?=\S)", self.out.read_text()) if "member=Notify" in b]
            if len(blocks) >= at_least or time.monotonic() > deadline:
                return [_parsed(block) for block in blocks]
            time.sleep(0.02)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def _parsed(block: str) -> list:
    stack: list[list] = [[]]
    for line in (line.strip() for line in block.splitlines()[1:]):
        if line.endswith("[") or line == "dict entry(":
            stack.append([])
        elif line in ("]", ")"):
            inner = stack.pop()
            stack[-1].append(inner)
        elif found := re.match(r"(?:variant\s+)?(string|u?int\d+|boolean|byte) (.*)$", line):
            kind, value = found.groups()
            stack[-1].append(
                value[1:-1] if kind == "string" else value == "true" if kind == "boolean" else int(value)
            )
    call = stack[0]
    call[5] = [call[5][i : i + 2] for i in range(0, len(call[5]), 2)]  # key, label pairs
    call[6] = dict(call[6])
    return call


def test_a_discreet_nudge_shows_a_neutral_face_and_show_puts_its_words_and_buttons_in_its_place(
    screen, config_file, fake_clock, daemons
):
    desktop, menu, monitor = screen
    daemon = fire(config_file, fake_clock, daemons, DISCREET)
    (veiled,) = desktop.received(1)
    delivered = history()[0]
    assert (veiled["summary"], veiled["body"]) == (DISCREET_TITLE, DISCREET_CLICK)
    offered = menu.press("show")
    daemon.wait_for(f"revealed {delivered['id']}")
    assert [line.split(" (")[0] for line in offered] == ["#Open", "#Show"]
    shown_as = int(re.search(r"\[(\d+),", offered[0]).group(1))
    revealed = desktop.received(2)[-1]
    assert (revealed["summary"], revealed["body"]) == ("For you", delivered["text"])
    first, second = monitor.calls(2)
    assert first[3:6] == [DISCREET_TITLE, DISCREET_CLICK, [["default", "Open"], ["show", "Show"]]]
    assert first[6]["transient"] is True and first[1] == 0
    assert second[3:6] == ["For you", delivered["text"], BUTTONS]
    assert second[6]["transient"] is True
    assert second[1] == shown_as, "in the discreet one's place"
    menu.press("keep")  # on the revealed one: as on any nudge
    daemon.wait_for(f"kept {delivered['id']}")
    assert marks()[delivered["id"]] == "favourite"
    assert [(e["status"], e["id"]) for e in history()] == [
        ("kept", delivered["id"]),
        ("delivered", delivered["id"]),
    ], "reading it is no row"


def test_a_real_click_reveals_it_and_the_buttons_on_the_words_work(screen, config_file, fake_clock, daemons):
    """dunst's own middle click (do_action, close_current) closes the discreet
    one as it asks for it, and gives the words its id again: that close is
    about the discreet one, so the buttons on the words must still work."""
    desktop, menu, _monitor = screen
    daemon = fire(config_file, fake_clock, daemons, DISCREET)
    desktop.received(1)
    delivered = history()[0]
    click = ["xdotool", "mousemove", "1100", "60", "click", "2"]  # on dunst's first notification, top right
    subprocess.run(click, env={**os.environ, **desktop.env}, check=True, timeout=10)
    daemon.wait_for(f"revealed {delivered['id']}")
    assert desktop.received(2)[-1]["body"] == delivered["text"]
    menu.press("hide")
    daemon.wait_for(f"hidden {delivered['id']}")
    assert marks()[delivered["id"]] == "hidden"


def test_a_discreet_nudge_leaves_the_screen_when_kindnudge_stops(screen, config_file, fake_clock, daemons):
    """Only the process that showed it can reveal its words: a Show left behind
    by a stopped kindnudge would do nothing, so the nudge goes with it."""
    desktop, _menu, _monitor = screen
    daemon = fire(config_file, fake_clock, daemons, DISCREET + "  timeout: 0\n")
    desktop.received(1)
    assert dunst_count(desktop, "displayed") == 1
    assert daemon.stop() < 1.0
    deadline = time.monotonic() + 5
    while dunst_count(desktop, "displayed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dunst_count(desktop, "displayed") == 0
    assert run("last").stdout.splitlines()[1] == history()[0]["text"]  # its words are still a command away


def dunst_count(desktop, which: str) -> int:
    out = subprocess.run(["dunstctl", "count", which], env={**os.environ, **desktop.env}, capture_output=True)
    return int(out.stdout)


def test_with_buttons_off_show_still_reveals_the_words_but_without_buttons(
    screen, config_file, fake_clock, daemons
):
    desktop, menu, _monitor = screen
    daemon = fire(config_file, fake_clock, daemons, "notification:\n  discreet: true\n  buttons: false\n")
    desktop.received(1)
    delivered = history()[0]
    offered = menu.press("show")
    daemon.wait_for(f"revealed {delivered['id']}")
    assert [line.rsplit(",", 1)[1] for line in offered] == ["default]", "show]"]
    assert desktop.received(2)[-1]["body"] == delivered["text"]
    offered = menu.press("default")  # on the words: only the click, which dismisses them
    assert [line.split(" (")[0] for line in offered] == ["#Dismiss"]
    assert [e["status"] for e in history()] == ["delivered"], "reading it is no row"
    assert daemon.stop() < 1.0


def test_without_actions_the_nudge_names_kindnudge_last_which_prints_its_words(
    desktop, config_file, fake_clock, daemons, tmp_path
):
    with server_without_actions(desktop, tmp_path) as calls:
        daemon = fire(config_file, fake_clock, daemons, DISCREET)
        (notify,) = lines_in(calls, 1)
        assert daemon.stop() < 1.0
    _app, _replaces, _icon, title, body, actions, hints, _timeout = eval(notify)
    assert (title, body, actions, hints["transient"]) == (DISCREET_TITLE, DISCREET_ELSEWHERE, [], ("b", True))
    delivered = history()[0]
    assert delivered["text"] not in notify
    last = run("last")
    assert last.returncode == 0
    assert last.stdout.splitlines()[0].endswith("  For you")
    assert last.stdout.splitlines()[1] == delivered["text"]


def test_now_handed_to_the_daemon_comes_discreet_and_prints_the_words_where_asked(
    screen, config_file, daemons
):
    desktop, menu, _monitor = screen
    config_file.write_text(DISCREET)
    daemon = daemons()
    result = run("now", "--kind", "reframe")
    assert result.returncode == 0, result.stderr
    (shown,) = desktop.received(1)
    delivered = history()[0]
    assert (shown["summary"], shown["body"]) == (DISCREET_TITLE, DISCREET_CLICK)
    assert result.stdout == f"For you\n{delivered['text']}\n"
    menu.press("show")
    daemon.wait_for(f"revealed {delivered['id']}")
    assert desktop.received(2)[-1]["body"] == delivered["text"]


def test_now_without_a_daemon_prints_the_words_while_the_notification_stays_discreet(desktop, config_file):
    config_file.write_text(DISCREET)
    result = run("now", "--kind", "self-care")
    assert result.returncode == 0, result.stderr
    (shown,) = desktop.received(1)
    assert (shown["summary"], shown["body"]) == (DISCREET_TITLE, DISCREET_ELSEWHERE)
    text = history()[0]["text"]
    assert result.stdout == f"For you\n{text}\n"


def test_through_notify_send_it_is_transient_too(desktop, config_file, tmp_path):
    config_file.write_text(DISCREET + "  backend: plyer\n")
    watching = Monitor({**os.environ, **desktop.env}, tmp_path)
    try:
        assert run("now").returncode == 0
        (call,) = watching.calls(1)
    finally:
        watching.stop()
    assert (call[0], call[3], call[4], call[6]["transient"]) == (
        "kindnudge",
        DISCREET_TITLE,
        DISCREET_ELSEWHERE,
        True,
    )


def test_a_push_route_gets_the_words_and_the_desktop_the_neutral_face(
    desktop,
    config_file,
    receiver,  # noqa: F811
):
    url, received = receiver
    config_file.write_text(f"{DISCREET}push:\n  urls: ['{url}']\n")
    assert run("now", "--kind", "reframe").returncode == 0
    (shown,) = desktop.received(1)
    (payload,) = received
    assert (shown["summary"], shown["body"]) == (DISCREET_TITLE, DISCREET_ELSEWHERE)
    assert (payload["title"], payload["message"]) == ("For you", history()[0]["text"])


QUESTION = "Useful if others can see your screen. (yes/no) [{}]: "


def setup_answering(discreet: str, offered: str) -> None:
    child = wizard("--no-test")
    for prompt in ("[fixed]: ", "[09:00, 20:00]: ", "[daily]: ", "[both]: ", "[22:00-07:00]: ", "[any]: "):
        answer(child, prompt, "")
    answer(child, QUESTION.format(offered), "maybe")
    child.expect_exact("Sorry, I couldn't use that: please answer yes or no.")
    answer(child, QUESTION.format(offered), discreet)
    answer(child, "Start kindnudge by itself when you log in? [Y/n] ", "n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_setup_asks_one_plain_question_and_writes_discreet_true_or_no_line(desktop, config_file):
    config_file.write_text("notification:\n  timeout: 1m\n")
    setup_answering("y", offered="no")
    written = config_file.read_text()
    assert "\nnotification:\n" in written and "\n  discreet: true\n" in written
    assert "\n  timeout: 1m\n" in written, "the rest stays"
    setup_answering("no", offered="yes")  # a second run offers the answer in effect
    written = config_file.read_text()
    assert not re.search(r"^\s*discreet:", written, re.MULTILINE) and "\n  timeout: 1m\n" in written
    assert run("setup", "--discreet", "yes", "--yes").returncode == 0
    assert "\n  discreet: true\n" in config_file.read_text()
    (test,) = desktop.received(1)  # the test notification looks as the nudges will
    assert test["summary"] == DISCREET_TITLE and "kindnudge last" in test["body"]
    refused = run("setup", "--discreet", "perhaps", "--yes", "--no-test")
    assert (refused.returncode, refused.stderr) == (2, "kindnudge: please answer yes or no\n")
