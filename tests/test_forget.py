"""`kindnudge forget`: erasing what kindnudge keeps about you, so that nothing of it is left."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from kindnudge.state import SCHEMA_VERSION

from conftest import KINDNUDGE, run

# Today's (version 2) tables, as main writes them: a file from before `forget` existed.
VERSION_2 = """
CREATE TABLE bag_seen (kind TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (kind, message_id));
CREATE TABLE history (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, due TEXT, rule TEXT, kind TEXT NOT NULL,
    message_id TEXT, text TEXT,
    status TEXT NOT NULL CHECK (status IN ('sending', 'delivered', 'failed', 'skipped', 'interrupted')),
    reason TEXT
);
CREATE INDEX history_kind_status ON history (kind, status, id);
CREATE TABLE marks (message_id TEXT PRIMARY KEY, mark TEXT NOT NULL CHECK (mark IN ('favourite', 'hidden')));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version=2;
"""


# Opens the state file, says so, and keeps it open until its input ends; then reads it again.
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT COUNT(*) FROM history").fetchone()
print("open", flush=True)
sys.stdin.read()
print(db.execute("SELECT status, due FROM history").fetchall())
"""


def forget(*args: str, answers: str = "") -> subprocess.CompletedProcess:
    """`kindnudge forget`, answering its questions on standard input."""
    command = [KINDNUDGE, "forget", *args]
    return subprocess.run(command, input=answers, capture_output=True, text=True, timeout=30, env=os.environ)


def history() -> list[dict]:
    return json.loads(run("history", "--json").stdout)


def every_file(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_forget_yes_leaves_no_byte_of_what_was_shown(desktop, home, config_file):
    config_file.write_text("timezone: UTC\n")
    mine = "Only mine: the lake at dawn, and what you said there."
    assert run("add", mine, "--kind", "self-care").returncode == 0
    for kind in ("reframe", "self-care", "self-care"):
        assert run("now", "--kind", kind).returncode == 0
    shown = [entry["text"] for entry in history()]
    assert len(shown) == 3 and len(desktop.received(3)) == 3
    state, cache = home / "state" / "kindnudge", home / "cache" / "kindnudge"
    db = state / "state.sqlite3"
    for name in ("kindnudge.log", "kindnudge.log.1", "kindnudge.log.3"):  # as a daemon's rotation leaves them
        (state / name).write_text(f"2026-11-28 09:00:00 INFO delivered: {shown[0]}\n")
    (state / "state.sqlite3.broken-20261128T090000Z").write_bytes(db.read_bytes())  # set aside by a repair
    assert run("hide", "clarity").returncode == 0
    own_before = (config_file.parent / "my-messages.yaml").read_text()

    # Another process with the file open keeps the -wal, as a running daemon may. (Not this one:
    # reading the file's bytes here would drop this process's SQLite locks, a POSIX rule.)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "open\n"
    assert run("now").returncode == 0
    shown += [history()[0]["text"], mine]  # mine is in the cache of checked packs, shown or not
    before = every_file(state, cache)
    assert (state / "state.sqlite3-wal").stat().st_size > 0
    assert all(any(text.encode() in data for data in before.values()) for text in shown), "the test can fail"

    result = forget("--yes")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("Erased your history (4 entries), what you had seen, and kindnudge's log")
    after = every_file(state, cache)
    for text in shown:
        left = [
            str(path) for path, data in after.items() if text.encode() in data or text[:24].encode() in data
        ]
        assert not left, f"{text!r} is still in {left}"
    assert (state / "state.sqlite3-wal").stat().st_size == 0, "emptied in place, not deleted"
    assert sorted(p.name for p in state.iterdir() if p.name.startswith("kindnudge.log")) == ["kindnudge.log"]
    assert holder.communicate("", timeout=10)[0] == "[('erased', None)]\n", "its connection still works"

    (row,) = history()
    assert (row["status"], row["due"], row["id"], row["text"]) == ("erased", None, None, None)
    assert row["reason"] == "you erased your history (kindnudge forget)"
    assert config_file.read_text() == "timezone: UTC\n"
    assert (config_file.parent / "my-messages.yaml").read_text() == own_before
    assert run("list", "--hidden", "--json").stdout.count('"mark": "hidden"') == 1, "marks stay"
    assert run("now").returncode == 0, "and kindnudge goes on"


def test_forget_asks_first_and_no_erases_nothing(config_file):
    config_file.write_text("notification:\n  backend: console\n")
    assert run("now").returncode == 0
    result = forget(answers="\n")
    assert result.stdout == "Erase your kindnudge history and what you have seen? [y/N] Nothing was erased.\n"
    assert [e["status"] for e in history()] == ["delivered"]
    result = forget(answers="yes\n")
    assert result.returncode == 0 and [e["status"] for e in history()] == ["erased"]

    result = forget()  # the input ends with no answer: the reason goes on a line of its own
    assert result.returncode == 1 and [e["status"] for e in history()] == ["erased"]
    assert result.stdout == "Erase your kindnudge history and what you have seen? [y/N] \n"
    result = forget("--yes")  # the line an earlier forget left is not a nudge of yours
    assert result.stdout.startswith("Erased your history (0 entries), what you had seen")


def test_ctrl_c_at_the_question_ends_its_line_and_erases_nothing(config_file):
    import pexpect

    config_file.write_text("notification:\n  backend: console\n")
    assert run("now").returncode == 0
    child = pexpect.spawn(KINDNUDGE, ["forget"], env=dict(os.environ), encoding="utf-8", timeout=15)
    child.expect_exact("[y/N] ")
    child.sendcontrol("c")
    child.expect_exact("\r\n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert [e["status"] for e in history()] == ["delivered"]


def test_forget_all_keeps_only_the_config_and_asks_before_unhiding(config_file):
    config_file.write_text("notification:\n  backend: console\n")
    assert run("add", "A line of my own.", "--kind", "reframe").returncode == 0
    for command in (["hide", "clarity"], ["favourite", "redirection"], ["pause", "2h"], ["now"]):
        assert run(*command).returncode == 0
    assert run("journey", "start").returncode == 0
    own = config_file.parent / "my-messages.yaml"

    result = forget("--all", answers="y\nn\n")
    assert result.returncode == 0, result.stderr
    assert "any pause, your place on a path, your own messages)?" in result.stdout
    assert (
        ", any pause, your path (kindnudge journey start begins a new one), your own messages"
        in result.stdout
    )
    assert "You are not on a journey" in run("journey").stdout
    assert "You have 1 hidden message. Without its mark, a hidden message can come again." in result.stdout
    assert "Kept your config; hidden messages stay hidden.\n" in result.stdout
    assert [m["id"] for m in json.loads(run("list", "--hidden", "--json").stdout)] == ["clarity"]
    assert json.loads(run("list", "--favourites", "--json").stdout) == []
    assert json.loads(run("status", "--json").stdout)["paused_until"] is None
    assert "A line of my own." not in own.read_text() and run("check").returncode == 0
    assert history()[0]["reason"] == "you erased your history (kindnudge forget --all)"

    result = forget("--all", "--yes")
    assert "Kept your config. 1 message you had hidden can come again.\n" in result.stdout
    assert json.loads(run("list", "--hidden", "--json").stdout) == []
    assert config_file.read_text() == "notification:\n  backend: console\n"


def test_a_state_file_from_before_forget_is_carried_over(home):
    db = home / "state" / "kindnudge" / "state.sqlite3"
    db.parent.mkdir(parents=True, mode=0o700)
    with sqlite3.connect(db) as old:
        old.executescript(VERSION_2)
        old.execute(
            "INSERT INTO history VALUES (7, '2026-11-27T09:00:01+00:00', '2026-11-27T09:00:00+00:00',"
            " 'morning', 'reframe', 'clarity', 'See it as clarity.', 'delivered', NULL)"
        )
        old.execute("INSERT INTO marks VALUES ('freedom', 'hidden')")
    old.close()
    assert [(e["id"], e["status"], e["rule"]) for e in history()] == [("clarity", "delivered", "morning")]
    assert forget("--yes").returncode == 0
    assert [e["status"] for e in history()] == ["erased"]
    with sqlite3.connect(db) as new:
        assert new.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert new.execute("SELECT * FROM marks").fetchall() == [("freedom", "hidden")]
    new.close()
