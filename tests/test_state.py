"""Saved state: a private SQLite file under XDG_STATE_HOME that outlives the process."""

from __future__ import annotations

import errno
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
import tempfile
import time
from datetime import datetime, timedelta, timezone
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


def test_rows_left_sending_by_a_kill_are_interrupted_but_a_held_one_is_held_again(home):
    """`history` meanwhile shows the row being shown, never a literal None."""
    due = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    later = due + timedelta(minutes=5)
    with State(paths.state_db()) as state, state.transaction():
        state.record(HistoryEntry(due, "morning", "reframe", "b", "text b", "sending", None, due))
        held = state.record(
            HistoryEntry(due, "evening", "any", None, None, "held", "held: the screen is locked", due)
        )
        state.reuse(held, HistoryEntry(later, "evening", "reframe", "c", "text c", "sending", None, due))
    listed = run("history").stdout
    assert "sending    morning      reframe   being shown [text b]\n" in listed
    assert "sending    evening      reframe   (due " in listed
    assert " 09:00 UTC) held: the screen is locked [text c]\n" in listed
    with State(paths.state_db()) as state:
        assert state.interrupted() == 2
        rows = {e.rule: (e.status, e.reason, e.due) for e in state.history(5)}
    assert rows == {
        "morning": ("interrupted", "kindnudge stopped while showing this; it may have appeared", due),
        "evening": ("held", "held: the screen is locked", due),
    }


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
    add_history(rows)
    return hidden, favourite


def add_history(rows: int) -> Path:
    """`rows` history rows, m0 to m<rows - 1>, in the state file (made if need be)."""
    at = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    with State(paths.state_db()) as state, state.transaction():
        for i in range(rows):
            state.record(HistoryEntry(at, "r", "reframe", f"m{i}", "a kind line " * 5, "delivered", None))
    return paths.state_db()


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
    elsewhere = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:  # the repair works in its own folder: a temporary file on another file system can't be renamed
        first = run("history", env={"TMPDIR": elsewhere})
    finally:
        shutil.rmtree(elsewhere)
    assert (first.returncode, first.stdout) == (0, "no nudges yet\n")
    moved = Path(BROKEN_NOTE.fullmatch(first.stderr).group(1))
    assert moved.parent == db.parent and moved.exists()
    stamp = datetime.strptime(moved.name.rsplit("-", 1)[-1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert run("history").stderr == "", "told once"
    text = run("status")
    assert text.returncode == 0 and f"moved it to {moved}" in text.stdout
    repaired = json.loads(run("status", "--json").stdout)["state_repaired"]
    assert f"moved it to {moved}" in repaired["note"] and repaired["at"] == stamp.isoformat()
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
    assert run("favourite", "--undo", favourite).stdout.startswith(f"{favourite} is no longer a favourite")
    assert json.loads(run("status", "--json").stdout)["paused_until"] is not None


def test_damage_met_mid_way_repairs_and_redoes_one_statement_but_not_a_transaction(home):
    lived_in(home, rows=3000)
    db = paths.state_db()
    spoil(db, db.stat().st_size - 20 * 4096, 20 * 4096)
    with State(db) as state:
        with pytest.raises(MachineError) as redo, state.transaction():
            state.set_mark("never-saved", "hidden")
            state.history(1)  # meets the damage
        told, _, ask = str(redo.value).partition("; nothing was saved")
        assert BROKEN_NOTE.fullmatch(f"kindnudge: {told}\n") and ask == " this time, so please do that again"
        assert state.untold_repair() is None  # told once, in that line
        assert "never-saved" not in state.marks() and len(state.marks()) == 2
    spoil(db, db.stat().st_size - 20 * 4096, 20 * 4096)
    with State(db) as state:
        assert state.interrupted() == 0  # a statement on its own: repaired, then run again
        assert BROKEN_NOTE.fullmatch(f"kindnudge: {state.untold_repair()}\n")
        assert len(state.marks()) == 2


def test_a_disk_that_refuses_the_statement_redone_after_a_repair_is_one_line(home, monkeypatch):
    db = paths.state_db()
    with State(db) as state:
        state.db = Refusing(sqlite_error("database disk image is malformed", 11))
        reopened = []

        def reopen(again: bool = False) -> Refusing:
            reopened.append(again)
            return Refusing(sqlite_error("disk I/O error", 10))

        monkeypatch.setattr(state, "_repair", lambda: None)
        monkeypatch.setattr(state, "_connect", reopen)
        with pytest.raises(MachineError) as raised:
            state.history(1)
    assert str(raised.value) == f"{db}: cannot use kindnudge's state: {REFUSED}"
    assert reopened == [True]  # a file still unreadable after its repair is not repaired again


def test_a_file_still_unreadable_after_its_repair_is_one_line_not_a_loop(home, monkeypatch):
    monkeypatch.setattr("kindnudge.state._ready", lambda db: False)  # as if every read found damage
    monkeypatch.setattr(State, "_repair", lambda self: None)
    db = paths.state_db()
    with pytest.raises(MachineError) as raised:
        State(db)
    assert str(raised.value) == f"{db}: still unreadable after moving the damaged file aside"


def test_a_file_missing_our_tables_at_opening_is_repaired(home):
    """Another program's database, or ours with a table dropped: SQLite says
    "no such table" (SQLITE_ERROR), which at opening means damage."""
    db = paths.state_db()
    with State(db):
        pass
    with sqlite3.connect(db) as other:
        other.execute("DROP TABLE marks")
    with State(db) as state:
        assert (state.untold_repair() or "").startswith("your state file was damaged; moved it to")
        assert state.marks() == {}


def test_a_state_file_locked_by_another_program_waits_only_as_long_as_asked(home):
    db = paths.state_db()
    with State(db):
        pass
    holder = sqlite3.connect(db, isolation_level=None)
    with State(db, wait=0.2) as state:
        holder.execute("BEGIN EXCLUSIVE")  # SQLite's own lock, not kindnudge's folder lock
        try:
            started = time.monotonic()
            with pytest.raises(MachineError, match="busy"), state.transaction():
                pass
            assert time.monotonic() - started < 3  # SQLite's own default would wait 5 s
        finally:
            holder.rollback()
            holder.close()


def test_sqlite_refusing_to_open_the_file_is_one_line(home, monkeypatch):
    db = paths.state_db()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise sqlite_error("unable to open database file", 14)

    monkeypatch.setattr(sqlite3, "connect", refuse)
    with pytest.raises(MachineError) as raised:
        State(db)
    assert str(raised.value) == f"{db}: cannot use kindnudge's state: {CANTOPEN}"


def test_a_repair_note_stays_untold_while_the_file_cannot_be_written(home):
    """Read-only (a full disk, say) when the note is read: said now, and again next time."""
    lived_in(home)
    db = paths.state_db()
    db.write_bytes(b"not a database" * 1000)
    with State(db) as state:
        state.db.execute("PRAGMA query_only = ON")
        first = state.untold_repair()
        assert first and first.startswith("your state file was damaged; moved it to")
        assert state.untold_repair() == first
        state.db.execute("PRAGMA query_only = OFF")
        assert state.untold_repair() == first
        assert state.untold_repair() is None


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
    one_line(
        run("history"),
        1,
        f"{folder}: cannot use kindnudge's state folder: ",
        "a file where a folder should be",
    )
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


def test_a_read_only_state_folder_says_which_chmod_to_run(home):
    db = add_history(1)
    db.parent.chmod(0o500)  # SQLite cannot make its -wal and -shm files beside the state file
    try:
        result = subprocess.run(
            [*without_root_override(), KINDNUDGE, "history"], capture_output=True, text=True, timeout=30
        )
    finally:
        db.parent.chmod(0o700)
    one_line(result, 1, f"{db.parent} is read-only", f"chmod u+w {db.parent}\n")


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
    said = one_line(run(*command, timeout=15), 1, f"{link}: ", "symbolic link", "remove it")
    doing = {"": "use kindnudge's state folder", "state.sqlite3": "open kindnudge's state"}
    assert name not in doing or f": cannot {doing[name]}: " in said, said
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


# -- what SQLite says, as one line: the result code decides, the words only before Python 3.11 ------


class Refusing:
    """A connection on which every statement meets `exc`, as SQLite would raise it."""

    def __init__(self, exc: sqlite3.Error) -> None:
        self.exc = exc

    def execute(self, *_args: object) -> None:
        raise self.exc

    def close(self) -> None:
        pass


def sqlite_error(text: str, code: int | None) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(text)
    if code is not None:  # Python 3.11+ sets it; older ones leave only the words
        exc.sqlite_errorcode = code
    return exc


FULL = "the disk is full; free some space and try again"
REFUSED = "the disk refused to read or write it (full, a size limit such as `ulimit -f`, failing)"
CANTOPEN = "SQLite cannot open it; check that you own it and its folder (ls -l)"


@pytest.mark.parametrize(
    ("text", "code", "advice"),
    [
        ("database or disk is full", 13, FULL),
        ("SQLITE_FULL", 13, FULL),  # the code decides when there is one
        ("disk I/O error", 10 | 4 << 8, REFUSED),  # SQLITE_IOERR_FSYNC: an extended code
        ("unable to open database file", 14, CANTOPEN),
        ("no such table: marks", 1, "no such table: marks"),  # anything else: SQLite's own words
        ("disk I/O error", None, REFUSED),
        ("database or disk is full", None, FULL),
        ("no such table: marks", None, "no such table: marks"),
    ],
)
def test_what_sqlite_meets_is_one_line_naming_the_file(home, text, code, advice):
    db = paths.state_db()
    with State(db) as state:
        state.db = Refusing(sqlite_error(text, code))
        with pytest.raises(MachineError) as raised:
            state.history(1)
    assert str(raised.value) == f"{db}: cannot use kindnudge's state: {advice}"


@pytest.mark.parametrize(
    ("text", "code"),
    [("database is locked", 5), ("database table is locked", 6), ("database is locked", None)],
)
def test_a_locked_database_is_busy_in_one_line(home, text, code):
    db = paths.state_db()
    with State(db) as state:
        state.db = Refusing(sqlite_error(text, code))
        with pytest.raises(MachineError) as raised:
            state.get_text("x")
    assert str(raised.value) == f"kindnudge's state is busy (another program holds {db}); try again"


def test_read_only_with_every_file_writable_names_the_state_file(home):
    """SQLite says read-only though the modes allow writing (a read-only mount, say)."""
    db = paths.state_db()
    with State(db) as state:
        state.db = Refusing(sqlite_error("attempt to write a readonly database", 8))
        with pytest.raises(MachineError) as raised:
            state.set_text("x", "y")
    assert str(raised.value) == (
        f"{db} is read-only, so kindnudge cannot save; make it writable again: chmod u+w {db}*"
    )


def spoil_page_of(db: Path, message_id: str) -> None:
    """Make the history page holding `message_id` unreadable (pages are 4096 bytes)."""
    at = db.read_bytes().index(f"reframe{message_id}a kind line".encode())
    spoil(db, at - at % 4096, 4096)


def test_history_rows_after_a_bad_first_page_are_kept(home):
    """Rows are read from the front up to a bad page, then from the back down to it."""
    lived_in(home, rows=3000)
    db = paths.state_db()
    spoil_page_of(db, "m0")
    result = run("history", "-n", "5000")
    assert result.returncode == 0, result.stderr
    _moved, marks, rows = BROKEN_NOTE.fullmatch(result.stderr).groups()
    with State(db) as state:
        kept = [entry.message_id for entry in state.history(5000)]
    assert int(marks) == 2 and int(rows) == len(kept) == len(set(kept)) and 2900 < len(kept) < 3000
    assert "m0" not in kept and "m2999" in kept


BUSY = "kindnudge's state is busy (another program holds {}); try again"


def test_a_repair_waits_until_no_one_else_has_the_file_open(home):
    """Moving the file from under another kindnudge would lose what it saves next."""
    db = add_history(3000)
    with State(db) as other:
        spoil_page_of(db, "m1500")
        with State(db, wait=0.2) as state, pytest.raises(MachineError) as raised:
            state.history(5000)
        assert str(raised.value) == BUSY.format(db)
        assert not list(db.parent.glob("*.broken-*")) and other.history(1)[0].message_id == "m2999"
    with State(db) as state:
        assert len(state.history(5000)) > 2900  # repaired now
        with State(db, wait=0.2) as after:  # and the repairer lets others in again
            assert after.history(1)[0].message_id == "m2999"
    assert len(list(db.parent.glob("*.broken-*[0-9Z]"))) == 1


def test_a_file_damaged_twice_within_a_second_keeps_both_copies(home):
    db = add_history(1)
    now = datetime.now(timezone.utc)
    earlier = [
        db.with_name(f"{db.name}.broken-{now + timedelta(seconds=s):%Y%m%dT%H%M%SZ}") for s in range(-1, 30)
    ]
    for copy in earlier:
        copy.write_text("the first damaged copy")
    db.write_bytes(b"not a database" * 1000)
    moved = Path(BROKEN_NOTE.fullmatch(run("history").stderr).group(1))
    assert moved.name.endswith("-2") and moved.with_name(moved.name.removesuffix("-2")) in earlier
    assert all(copy.read_text() == "the first damaged copy" for copy in earlier)


def refuse_rename(src: object, _dst: object) -> None:
    raise OSError(errno.EACCES, "Permission denied", str(src))


def fill_the_disk(connect):
    def connecting(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if Path(str(target)).name.startswith(".state.sqlite3-repair-"):
            raise sqlite_error("database or disk is full", 13)
        return connect(target, *args, **kwargs)

    return connecting


@pytest.mark.parametrize(
    ("target", "failing", "line"),
    [
        (os, lambda _: refuse_rename, "{db}: cannot move the damaged state file aside: permission denied"),
        (sqlite3, fill_the_disk, "{db}: cannot use kindnudge's state: " + FULL),
    ],
    ids=["rename-refused", "disk-full"],
)
def test_a_repair_that_fails_says_why_in_one_line_and_leaves_things_as_they_were(
    home, monkeypatch, target, failing, line
):
    db = add_history(1)
    db.write_bytes(b"not a database" * 1000)
    before = sorted(db.parent.iterdir())
    name = "rename" if target is os else "connect"
    monkeypatch.setattr(target, name, failing(getattr(target, name)))
    with pytest.raises(MachineError) as raised:
        State(db)
    monkeypatch.undo()
    assert str(raised.value).startswith(line.format(db=db))
    assert sorted(db.parent.iterdir()) == before, "no half-made file left behind"
    assert db.read_bytes() == b"not a database" * 1000


def test_forgetting_while_another_program_reads_says_so_in_one_line(home):
    db = add_history(10)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM history").fetchall()  # holds a snapshot of the old pages
    try:
        with State(db, wait=0.2) as state:
            with state.transaction():
                state.erase()
            with pytest.raises(MachineError) as raised:
                state.compact()
    finally:
        reader.close()
    assert str(raised.value) == (
        f"{db}-wal: another program is reading kindnudge's state, so old pages are still in this file;"
        " run the same command again in a moment"
    )


def test_a_repair_note_without_a_readable_time_is_left_out_of_status(home):
    """The meta table edited by hand (or damaged): status still works and claims no repair."""
    with State(paths.state_db()) as state:
        state.set_text("repair_note", "your state file was damaged; moved it to x")
        state.set_text("repaired_at", "yesterday-ish")
    result = run("status", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["state_repaired"] is None, result.stderr


def test_a_held_nudge_shown_after_a_later_one_is_the_newest_and_the_last_delivered(tmp_path):
    """History runs newest first by when each row was settled, so a held nudge
    shown at 09:13 comes before a `now` shown at 09:05 (though its row is older),
    and `last` and the no-repeat rule both see it as the latest."""
    nine = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    with State(tmp_path / "state.db") as state, state.transaction():
        held = state.record(HistoryEntry(nine, "morning", "reframe", None, None, "held", "held: DND", nine))
        at_five = nine + timedelta(minutes=5)
        state.record(HistoryEntry(at_five, None, "reframe", "asked", "Asked.", "delivered", None, None))
        later = nine + timedelta(minutes=13)
        shown = HistoryEntry(later, "morning", "reframe", "held-one", "Held.", "delivered", None)
        state.reuse(held, shown._replace(due=nine))
    with State(tmp_path / "state.db") as state:
        assert [e.message_id for e in state.history(5)] == ["held-one", "asked"]
        assert [e.message_id for e in state.history(5, "delivered")] == ["held-one", "asked"]
        assert state.last_delivered("reframe") == "held-one"
