"""Saved state: a private SQLite file under XDG_STATE_HOME that outlives the process."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kindnudge import paths
from kindnudge.errors import MachineError
from kindnudge.state import HistoryEntry, State

from conftest import KINDNUDGE, run


def test_state_lives_under_xdg_state_home_with_private_permissions(home):
    db = paths.state_db()
    assert db == home / "state" / "kindnudge" / "state.sqlite3"
    with State(db):
        pass
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_bag_and_history_survive_reopening(home):
    at = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    with State(paths.state_db()) as state, state.transaction():
        state.mark_seen("reframe", "a")
        state.mark_seen("reframe", "b")
        state.record(HistoryEntry(at, "morning", "reframe", "b", "text b", "delivered", None))
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == {"a", "b"}
        assert state.seen("self-care") == set()
        assert state.last_delivered("reframe") == "b"
        assert state.history(5)[0].at == at
        with state.transaction():
            state.mark_seen("reframe", "c", refill={"a", "b"})
        assert state.seen("reframe") == {"c"}


def test_a_failed_step_leaves_nothing_half_written(home):
    with State(paths.state_db()) as state:
        with pytest.raises(RuntimeError, match="power cut"), state.transaction():  # not swallowed
            state.mark_seen("reframe", "a")
            raise RuntimeError("power cut")
        assert state.seen("reframe") == set()


# -- an unusable state file: one line, exit 1, and nothing the user can't see is lost ----------

BROKEN_NOTE = re.compile(
    r"kindnudge: your state file was damaged; moved it to (\S+\.broken-\d{8}T\d{6}Z(?:-\d+)?), "
    r"kept (\d+) hidden/favourite marks and (\d+) history rows\n"
)


def one_line(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """The single stderr line of a failed (or noted) command, with no traceback."""
    assert result.returncode == status, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kindnudge: "), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def lived_in(home, rows: int = 0) -> tuple[str, str]:
    """A state file with a hidden and a favourite message, a pause and `rows` history rows."""
    messages = json.loads(run("list", "--json", "--kind", "reframe").stdout)
    hidden, favourite = messages[0]["id"], messages[1]["id"]
    assert run("hide", hidden).returncode == 0 and run("favourite", favourite).returncode == 0
    assert run("pause", "2h").returncode == 0
    if rows:
        at = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
        with State(paths.state_db()) as state, state.transaction():
            for i in range(rows):
                state.record(HistoryEntry(at, "r", "reframe", f"m{i}", "a kind line " * 5, "delivered", None))
    return hidden, favourite


def spoil(path, offset: int, size: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(random.Random(7).randbytes(size))


@pytest.mark.parametrize(
    "damage",
    [
        lambda db: os.truncate(db, 100),
        lambda db: db.write_bytes(random.Random(1).randbytes(20000)),
        lambda db: spoil(db, 0, 100),  # the header
    ],
    ids=["truncated", "junk", "bad-header"],
)
def test_a_damaged_state_file_is_moved_aside_once_and_commands_go_on(home, damage):
    lived_in(home)
    db = paths.state_db()
    damage(db)
    first = run("history")
    assert (first.returncode, first.stdout) == (0, "no nudges yet\n")
    moved = Path(BROKEN_NOTE.fullmatch(first.stderr).group(1))
    assert moved.parent == db.parent and moved.exists()
    assert run("history").stderr == "", "told once"
    text = run("status")
    assert text.returncode == 0 and f"moved it to {moved}" in text.stdout
    repaired = json.loads(run("status", "--json").stdout)["state_repaired"]
    assert f"moved it to {moved}" in repaired["note"]
    assert run("pause", "1h").returncode == 0, "the fresh file takes writes"


def test_hidden_and_favourite_marks_survive_pages_that_cannot_be_read(home):
    """SQLite opens the file, but the newest history pages are junk: the marks,
    the pause and the history rows before the damage are kept."""
    hidden, favourite = lived_in(home, rows=3000)
    db = paths.state_db()
    spoil(db, db.stat().st_size - 20 * 4096, 20 * 4096)
    result = run("history", "-n", "1")
    assert result.returncode == 0 and result.stdout.count("\n") == 1
    _moved, marks, rows = BROKEN_NOTE.fullmatch(result.stderr).groups()
    assert int(marks) == 2 and 1000 < int(rows) < 3000
    assert run("hide", "--undo", hidden).stdout.startswith(f"{hidden} is no longer hidden")
    assert run("favourite", "--undo", favourite).stdout.startswith(f"{favourite} is no longer favourite")
    assert json.loads(run("status", "--json").stdout)["paused_until"] is not None


def test_damage_met_mid_way_repairs_and_redoes_one_statement_but_not_a_transaction(home):
    lived_in(home, rows=3000)
    db = paths.state_db()
    spoil(db, db.stat().st_size - 20 * 4096, 20 * 4096)
    with State(db) as state:
        redo = pytest.raises(MachineError, match="nothing was saved this time, so please do that again")
        with redo, state.transaction():
            state.set_mark("never-saved", "hidden")
            state.history(1)  # meets the damage
        assert "never-saved" not in state.marks() and len(state.marks()) == 2
    spoil(db, db.stat().st_size - 20 * 4096, 20 * 4096)
    with State(db) as state:
        assert state.interrupted() == 0  # a statement on its own: repaired, then run again
        assert BROKEN_NOTE.fullmatch(f"kindnudge: {state.untold_repair()}\n")
        assert len(state.marks()) == 2


def test_two_commands_meeting_one_damaged_file_repair_it_once(home):
    lived_in(home)
    db = paths.state_db()
    db.write_bytes(b"not a database" * 1000)
    both = [subprocess.Popen([KINDNUDGE, "history"], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    notes = [p.communicate(timeout=30)[1] for p in both]
    assert [p.returncode for p in both] == [0, 0], notes
    assert len(list(db.parent.glob("state.sqlite3.broken-*[0-9Z]"))) == 1
    assert sum(1 for n in notes if BROKEN_NOTE.fullmatch(n)) >= 1


def test_the_state_folder_being_a_file_is_one_line(home):
    folder = paths.state_db().parent
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")
    one_line(run("history"), 1, f"{folder}: ", "a file where a folder should be")
    assert folder.read_text() == "not a folder"


def without_root_override() -> list[str]:
    """Root ignores file modes; run as root without that power (or as the user one is)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): chmod cannot be tried")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_state_file_still_reads_and_writers_say_why(home):
    hidden, _favourite = lived_in(home)
    db = paths.state_db()
    db.chmod(0o444)
    as_user = [*without_root_override(), KINDNUDGE]

    def user(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=30)

    for reader in (["history"], ["status"], ["now", "--dry-run"]):
        result = user(*reader)
        assert (result.returncode, result.stderr) == (0, ""), (reader, result.stderr)
    for writer in (["pause", "3h"], ["resume"], ["hide", "--undo", hidden]):
        one_line(user(*writer), 1, f"{db} is read-only", f"chmod u+w {db}*")
    assert run("hide", "--undo", hidden).stdout.startswith(f"{hidden} is no longer hidden"), "nothing lost"


@pytest.mark.reliability  # waits out the 3 s busy limit
def test_a_database_held_by_another_program_is_busy_not_a_hang(home):
    lived_in(home)
    holder = sqlite3.connect(paths.state_db(), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO meta VALUES ('held', 'by someone else')")
    try:
        started = time.monotonic()
        result = run("pause", "1h")
        waited = time.monotonic() - started
        one_line(
            result, 1, f"kindnudge's state is busy (another program holds {paths.state_db()}); try again"
        )
        assert 2 < waited < 8
        assert run("history").returncode == 0, "reading goes on meanwhile"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.no_mutmut  # the limit would also catch the mutated modules' bytecode being written
def test_a_file_size_limit_during_now_shows_nothing_and_consumes_nothing(desktop, home):
    lived_in(home)
    limited = subprocess.run(
        [KINDNUDGE, "now"],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)),
    )
    one_line(limited, 1, f"{paths.state_db()}: ", "ulimit -f")
    assert desktop.received(0, wait_s=0.3) == []
    assert json.loads(run("history", "--json").stdout) == []


# -- files in the state folder are never reached through a symlink --------------------------


def plant(link, victim) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("", ["history"]),  # the folder itself
        ("state.sqlite3", ["pause", "1h"]),
        ("state.sqlite3-wal", ["history"]),
        ("state.sqlite3-shm", ["now", "--dry-run"]),
        ("daemon.lock", ["status"]),
        ("daemon.lock", ["run"]),
        ("kindnudge.log", ["run"]),
    ],
)
def test_a_planted_symlink_is_refused_in_one_line_and_its_target_untouched(home, config_file, name, command):
    config_file.write_text("timezone: UTC\nschedule:\n  - at: '12:00'\n")
    folder = paths.state_db().parent
    victim = home / "thesis.odt"
    victim.write_text("years of work")
    if name:
        folder.mkdir(parents=True)
        plant(folder / name, victim)
    else:
        victim = home / "elsewhere"
        victim.mkdir(mode=0o755)
        plant(folder, victim)
    mode = victim.stat().st_mode
    link = folder / name if name else folder
    one_line(run(*command, timeout=15), 1, f"{link}: ", "symbolic link", "remove it")
    assert victim.stat().st_mode == mode, "never chmod-ed through the link"
    assert name == "" or victim.read_text() == "years of work"


@pytest.mark.parametrize("name", ["daemon.lock", "kindnudge.log", "state.sqlite3"])
def test_a_fifo_in_the_state_folder_never_hangs(home, config_file, name):
    config_file.write_text("timezone: UTC\nschedule:\n  - at: '12:00'\n")
    folder = paths.state_db().parent
    folder.mkdir(parents=True)
    os.mkfifo(folder / name)
    one_line(run("run", timeout=15), 1, f"{folder / name}: ", "not a regular file")


def test_the_log_is_never_written_through_a_symlink_when_it_rotates(home, capsys):
    from kindnudge.logfile import PrivateLog

    log = paths.ensure_private_dir(paths.state_dir()) / "kindnudge.log"
    victim, unborn = home / "victim.txt", home / "unborn.txt"
    victim.write_text("mine")
    handler = PrivateLog(log, maxBytes=200, backupCount=1, encoding="utf-8")
    record = logging.LogRecord("kindnudge", logging.INFO, __file__, 1, "x" * 150, None, None)
    handler.emit(record)
    for target in (victim, unborn):  # a link to a file, then one that would create a file
        log.unlink()
        log.symlink_to(target)
        handler.emit(record)  # past maxBytes: rotates, then opens kindnudge.log again
    handler.close()
    assert victim.read_text() == "mine" and not unborn.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"kindnudge: cannot write the log {log}: "), err
