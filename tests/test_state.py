"""Saved state: a private SQLite file under XDG_STATE_HOME that outlives the process."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
from datetime import datetime, timezone

import pytest

from kindnudge import paths
from kindnudge.state import HistoryEntry, State

from conftest import run


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
        try:
            with state.transaction():
                state.mark_seen("reframe", "a")
                raise RuntimeError("power cut")
        except RuntimeError:
            pass
        assert state.seen("reframe") == set()


def one_line(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """The single stderr line of a failed (or noted) command, with no traceback."""
    assert result.returncode == status, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kindnudge: "), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


# -- files in the state folder are never reached through a symlink --------------------------


def plant(link, victim) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)


@pytest.mark.parametrize(
    ("name", "command"),
    [
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


@pytest.mark.parametrize("name", ["daemon.lock", "kindnudge.log"])
def test_a_fifo_in_the_state_folder_never_hangs(home, config_file, name):
    config_file.write_text("timezone: UTC\nschedule:\n  - at: '12:00'\n")
    folder = paths.state_db().parent
    folder.mkdir(parents=True)
    os.mkfifo(folder / name)
    one_line(run("run", timeout=15), 1, f"{folder / name}: ", "not a regular file")


def test_the_log_is_never_written_through_a_symlink_when_it_rotates(home, capsys):
    from kindnudge.daemon import PrivateLog

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
