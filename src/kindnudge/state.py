"""The user's saved state in one SQLite file: the shuffle bag, marks and history.

Writes happen inside short IMMEDIATE transactions, so two kindnudge
processes never draw the same message, and a crash never half-records one.

Whatever SQLite meets becomes one line naming the file and what to do
(MachineError). A file it can no longer read is not a dead end: it is moved
aside, whatever can still be read is copied into a fresh one (marks above
all: a hidden message must stay hidden), and a note tells the user once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple, TypeVar

from kindnudge.errors import MachineError, machine_error
from kindnudge.instance import FolderLock
from kindnudge.paths import check_regular, ensure_private_dir, ensure_private_file

_HISTORY = """(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    due TEXT,
    rule TEXT,
    kind TEXT NOT NULL,
    message_id TEXT,
    text TEXT,
    status TEXT NOT NULL
        CHECK (status IN (
            'sending', 'delivered', 'failed', 'skipped', 'interrupted', 'erased', 'kept', 'hidden',
            'held'
        )),
    reason TEXT
)"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS bag_seen (
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (kind, message_id)
);
CREATE TABLE IF NOT EXISTS history {_HISTORY};
CREATE INDEX IF NOT EXISTS history_kind_status ON history (kind, status, id);
CREATE INDEX IF NOT EXISTS history_held ON history (id) WHERE status = 'held';
CREATE TABLE IF NOT EXISTS marks (
    message_id TEXT PRIMARY KEY,
    mark TEXT NOT NULL CHECK (mark IN ('favourite', 'hidden'))
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
SCHEMA_VERSION = 5
# Version 3 allowed the status 'erased' (the row `forget` leaves), version 4
# 'kept' and 'hidden' (a button pressed on a nudge), version 5 'held' (a nudge
# waiting out a bad moment; holding.py). SQLite can't change a
# CHECK in place, so an older history table is copied into a new one.
_HISTORY_REBUILT = f"""
CREATE TABLE history_new {_HISTORY};
INSERT INTO history_new SELECT id, at, due, rule, kind, message_id, text, status, reason FROM history;
DROP TABLE history;
ALTER TABLE history_new RENAME TO history;
CREATE INDEX history_kind_status ON history (kind, status, id);
CREATE INDEX history_held ON history (id) WHERE status = 'held';
"""
HANDLED_UNTIL = "handled_until"  # the moment the daemon last settled what came due
PAUSED_UNTIL = "paused_until"  # a moment (see get_moment); `pause` sets it, the daemon and `now` read it

# What a repair copies, table by table; history keeps its ids.
_COLUMNS = {
    "marks": "message_id, mark",
    "meta": "key, value",
    "bag_seen": "kind, message_id",
    "history": "id, at, due, rule, kind, message_id, text, status, reason",
}
# Small, and needed by every nudge: checked at each opening (history could be huge).
_CHECKED = ("marks", "meta", "bag_seen")
_SIDECARS = ("-wal", "-shm", "-journal")
REPAIRED_AT, REPAIR_NOTE, REPAIR_UNTOLD = "repaired_at", "repair_note", "repair_untold"

# SQLite's primary result codes (sqlite3.h), and the words that give them away before Python 3.11.
_ERROR, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    1,
    5,
    6,
    8,
    10,
    11,
    13,
    14,
    26,
)
_CODE_WORDS = {
    "locked": _BUSY,
    "readonly": _READONLY,
    "disk I/O": _IOERR,
    "malformed": _CORRUPT,
    "disk is full": _FULL,
    "unable to open": _CANTOPEN,
    "not a database": _NOTADB,
}
_T = TypeVar("_T")


class HistoryEntry(NamedTuple):
    at: datetime  # when it was handled
    rule: str | None
    kind: str
    message_id: str | None  # None when skipped: nothing was drawn
    text: str | None
    status: str  # sending, then delivered or failed; or skipped; interrupted after a crash; erased: forget;
    # kept, hidden: a button pressed on a nudge; held: waiting for a better moment
    reason: str | None
    due: datetime | None = None  # the planned moment, for scheduled nudges


class State:
    """An open state database; use as a context manager to close it.

    `wait` is how long to wait for another kindnudge (or any program) that
    holds the database before saying it is busy.
    """

    def __init__(self, path: Path, wait: float = 10.0) -> None:
        self.path, self.wait = path, wait
        self._in_transaction = False
        try:
            self._folder = FolderLock(ensure_private_dir(path.parent))
        except OSError as exc:
            raise machine_error(exc, None, "use kindnudge's state folder") from None
        try:
            self._hold(exclusive=False)
            self.db = self._connect()
        except BaseException:
            self._folder.close()
            raise

    def __enter__(self) -> State:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.db.close()
        self._folder.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic step; IMMEDIATE takes the write lock before reading the bag."""
        self._write("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
            self._write("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    def seen(self, kind: str) -> set[str]:
        return {row[0] for row in self._read("SELECT message_id FROM bag_seen WHERE kind = ?", (kind,))}

    def last_delivered(self, kind: str) -> str | None:
        rows = self._read(
            "SELECT message_id FROM history WHERE kind = ? AND status = 'delivered'"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (kind,),
        )
        return rows[0][0] if rows else None

    def mark_seen(self, kind: str, message_id: str, refill: Collection[str] = ()) -> None:
        """Count a message as seen; `refill` first empties those from the bag's record."""
        for gone in refill:
            self.unsee(kind, gone)
        self._write("INSERT OR IGNORE INTO bag_seen VALUES (?, ?)", (kind, message_id))

    def marks(self) -> dict[str, str]:
        """Favourite or hidden, by message id."""
        return dict(self._read("SELECT message_id, mark FROM marks"))

    def set_mark(self, message_id: str, mark: str | None) -> None:
        if mark is None:
            self._write("DELETE FROM marks WHERE message_id = ?", (message_id,))
        else:
            self._write("INSERT OR REPLACE INTO marks VALUES (?, ?)", (message_id, mark))

    def record(self, entry: HistoryEntry) -> int:
        """Add a history row; returns its id."""
        cursor = self._write(
            "INSERT INTO history (at, rule, kind, message_id, text, status, reason, due)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.at.isoformat(),
                entry.rule,
                entry.kind,
                entry.message_id,
                entry.text,
                entry.status,
                entry.reason,
                entry.due.isoformat() if entry.due else None,
            ),
        )
        return cursor.lastrowid

    def settle(self, row: int, status: str, reason: str | None) -> None:
        self._write("UPDATE history SET status = ?, reason = ? WHERE id = ?", (status, reason, row))

    def held(self) -> list[tuple[int, HistoryEntry]]:
        """The rows waiting out a bad moment (holding.py), oldest first, with their ids."""
        rows = self._read(
            "SELECT id, at, rule, kind, message_id, text, status, reason, due FROM history"
            " WHERE status = 'held' ORDER BY id"
        )
        return [(r[0], HistoryEntry(at, *r[2:8], _moment(r[8]))) for r in rows if (at := _moment(r[1]))]

    def reuse(self, row: int, entry: HistoryEntry) -> None:
        """A held row takes its final form (one life for a history row): when it
        was settled, what was drawn for it, and how it ended. Its due moment
        stays, and so does its reason while it is `sending` (no reason yet)."""
        self._write(
            "UPDATE history SET at = ?, kind = ?, message_id = ?, text = ?, status = ?,"
            " reason = COALESCE(?, reason) WHERE id = ?",
            (entry.at.isoformat(), entry.kind, entry.message_id, entry.text, entry.status, entry.reason, row),
        )

    def recorded_dues(self, start: datetime, end: datetime) -> set[datetime]:
        """The due moments from `start` to `end` that have their row already:
        after the clock went back, they come round again, but only once."""
        rows = self._read(
            "SELECT due FROM history"
            " WHERE julianday(due) BETWEEN julianday(?) - 1e-5 AND julianday(?) + 1e-5",  # ~1 s either side
            (start.isoformat(), end.isoformat()),
        )
        return {datetime.fromisoformat(due) for (due,) in rows}

    def unsee(self, kind: str, message_id: str) -> None:
        self._write("DELETE FROM bag_seen WHERE kind = ? AND message_id = ?", (kind, message_id))

    def interrupted(self, row: int | None = None) -> int:
        """Rows left `sending` (all, or `row`) by a crash or Ctrl+C: say so rather
        than leave them pending. One that was held (its reason still says so:
        holding.HELD) is held again, as a held row ends only delivered or
        skipped; the daemon looks at it again as at any held one."""
        return self._write(
            "UPDATE history SET status = CASE WHEN reason LIKE 'held: %' THEN 'held' ELSE 'interrupted' END,"
            " reason = CASE WHEN reason LIKE 'held: %' THEN reason ELSE ? END"
            " WHERE status = 'sending' AND (? IS NULL OR id = ?)",
            ("kindnudge stopped while showing this; it may have appeared", row, row),
        ).rowcount

    def history(self, limit: int, status: str | None = None) -> list[HistoryEntry]:
        """The latest entries first; optionally only those with `status`."""
        if status:
            return self._entries("WHERE status = ? ORDER BY at DESC, id DESC LIMIT ?", (status, limit))
        return self._entries("ORDER BY at DESC, id DESC LIMIT ?", (limit,))

    def _entries(self, tail: str, params: tuple) -> list[HistoryEntry]:
        rows = self._read(
            f"SELECT at, rule, kind, message_id, text, status, reason, due FROM history {tail}", params
        )
        return [HistoryEntry(at, *r[1:7], _moment(r[7])) for r in rows if (at := _moment(r[0]))]

    def get_moment(self, key: str) -> datetime | None:
        return _moment(self.get_text(key))

    def get_text(self, key: str) -> str | None:
        """A small saved value (a journey, say); None when there is none."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_text(self, key: str, value: str | None) -> None:
        if value is None:
            self._write("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def set_moment(self, key: str, value: datetime | None) -> None:
        self.set_text(key, value.isoformat() if value else None)

    def clear_seen(self) -> None:
        """Empty the shuffle bag: every message may come again (a journey starts afresh)."""
        self._write("DELETE FROM bag_seen")

    # -- forgetting ---------------------------------------------------------------

    def erase(self, marks: Collection[str] = (), meta: Collection[str] = ()) -> int:
        """Delete the history and the seen bag, the marks of the kinds in `marks`
        and the `meta` keys; secure_delete zeroes the space they leave. Inside a
        transaction, then `compact`. Returns how many history rows went, not
        counting the lines earlier erasures left."""
        self._write("PRAGMA secure_delete=ON")
        rows = self._read("SELECT COUNT(*) FROM history WHERE status != 'erased'")[0][0]
        self._write("DELETE FROM history")
        self._write("DELETE FROM bag_seen")
        for mark in marks:
            self._write("DELETE FROM marks WHERE mark = ?", (mark,))
        for key in meta:
            self._write("DELETE FROM meta WHERE key = ?", (key,))
        return rows

    def compact(self) -> None:
        """Rebuild the file without what was deleted, and empty the -wal file into
        it. Emptied, never deleted: a running daemon may have it open."""
        self._write("VACUUM")
        if self._read("PRAGMA wal_checkpoint(TRUNCATE)")[0][0]:  # busy: a reader kept old pages
            raise MachineError(
                f"{self.path}-wal: another program is reading kindnudge's state, so old pages are"
                " still in this file; run the same command again in a moment"
            )

    # -- a damaged file ---------------------------------------------------------

    def untold_repair(self) -> str | None:
        """The note about a repair that nobody has told the user of yet, once:
        afterwards None. Commands print it; the daemon shows it."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (REPAIR_UNTOLD,))
        if rows:
            with contextlib.suppress(sqlite3.Error):  # read-only now: told again next time
                self.db.execute("DELETE FROM meta WHERE key = ?", (REPAIR_UNTOLD,))
        return rows[0][0] if rows else None

    def last_repair(self) -> tuple[datetime, str] | None:
        """When the state file was last repaired, and the note about it; for `status`."""
        found = dict(
            self._read("SELECT key, value FROM meta WHERE key IN (?, ?)", (REPAIRED_AT, REPAIR_NOTE))
        )
        at = _moment(found.get(REPAIRED_AT))
        return (at, found[REPAIR_NOTE]) if at and REPAIR_NOTE in found else None

    def _connect(self, again: bool = False) -> sqlite3.Connection:
        """Open the file ready for use, repairing it first if it is damaged."""
        try:
            for suffix in _SIDECARS:
                check_regular(_beside(self.path, suffix))  # SQLite would follow a planted symlink
            ensure_private_file(self.path)
            db = sqlite3.connect(self.path, isolation_level=None, timeout=self.wait)
        except OSError as exc:
            raise machine_error(exc, None, "open kindnudge's state") from None
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc) from None
        try:
            if _ready(db):
                return db
        except sqlite3.DatabaseError as exc:
            # At opening, a missing table (SQLITE_ERROR) also means this is not the file we wrote.
            if again or not (_is_damage(exc) or _code(exc) == _ERROR):
                db.close()
                raise self._failure(exc) from None
        db.close()
        if again:
            raise MachineError(f"{self.path}: still unreadable after moving the damaged file aside")
        self._repair()
        return self._connect(again=True)

    def _repair(self) -> None:
        """Replace the damaged file, with everyone else kept out meanwhile."""
        damaged = _identity(self.path)
        self._hold(exclusive=True)
        try:
            if _identity(self.path) == damaged:  # else another kindnudge has just repaired it
                _rebuild(self.path)
        except OSError as exc:
            raise machine_error(exc, None, "move the damaged state file aside") from None
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc) from None
        finally:
            self._hold(exclusive=False)

    # -- every statement goes through here ----------------------------------------

    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._guarded(lambda: self.db.execute(sql, params).fetchall())

    def _write(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        return self._guarded(lambda: self.db.execute(sql, params))

    def _guarded(self, step: Callable[[], _T]) -> _T:
        """Run `step`, saying in one line what went wrong. Damage found only now
        (in a table not checked at opening) is repaired at once; a statement on
        its own is then run again, while a transaction under way is lost and
        must be redone."""
        try:
            return step()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise self._failure(exc) from None
        in_transaction = self._in_transaction
        self.db.close()
        self._repair()
        self.db = self._connect(again=True)
        if in_transaction:
            note = self.untold_repair() or f"{self.path} was damaged, and has been repaired"
            raise MachineError(f"{note}; nothing was saved this time, so please do that again")
        try:
            return step()
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc) from None

    def _hold(self, exclusive: bool) -> None:
        if not self._folder.take(exclusive, self.wait):
            raise self._busy()

    def _busy(self) -> MachineError:
        return MachineError(f"kindnudge's state is busy (another program holds {self.path}); try again")

    def _failure(self, exc: sqlite3.DatabaseError) -> Exception:
        """What SQLite met, as one line; our own mistakes (bad SQL, a broken
        constraint) stay bugs."""
        if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.IntegrityError)):
            return exc
        code = _code(exc)
        if code in (_BUSY, _LOCKED):
            return self._busy()
        if code == _READONLY:  # chmod 444, or SQLite's -wal and -shm made read-only alongside it
            folder, sidecars = self.path.parent, [_beside(self.path, s) for s in _SIDECARS]
            where = [folder, self.path, *sidecars]
            stuck = next((p for p in where if p.exists() and not os.access(p, os.W_OK)), self.path)
            fix = stuck if stuck == folder else f"{self.path}*"
            return MachineError(
                f"{stuck} is read-only, so kindnudge cannot save; make it writable again: chmod u+w {fix}"
            )
        advice = {
            _FULL: "the disk is full; free some space and try again",
            _IOERR: "the disk refused to read or write it (full, a size limit such as `ulimit -f`, failing)",
            _CANTOPEN: "SQLite cannot open it; check that you own it and its folder (ls -l)",
        }.get(code, str(exc))
        return MachineError(f"{self.path}: cannot use kindnudge's state: {advice}")


def _ready(db: sqlite3.Connection) -> bool:
    """Set a connection up, creating the tables in a new file; False if a table
    that every nudge reads is damaged."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        migrate = _HISTORY_REBUILT if version else ""  # a new file has the new table already
        db.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} {migrate} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
        )
    return all(db.execute(f"PRAGMA quick_check({table})").fetchall() == [("ok",)] for table in _CHECKED)


def _code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code for `exc`."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF
    return next((c for words, c in _CODE_WORDS.items() if words in str(exc)), None)


def _is_damage(exc: sqlite3.Error) -> bool:
    return _code(exc) in (_CORRUPT, _NOTADB)


def _moment(text: object) -> datetime | None:
    """A saved moment, or None if what is saved is not one (edited by hand, or damaged)."""
    try:
        moment = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _rebuild(path: Path) -> None:
    """Move the damaged file (with its -wal and -shm) aside as
    `state.sqlite3.broken-<UTC time>`, and put in its place a fresh one holding
    all that could be read, with the note about it."""
    import tempfile

    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = f".broken-{now:%Y%m%dT%H%M%SZ}"
    aside, tries = _beside(path, stamp), 1
    while aside.exists():  # damaged twice within a second
        tries += 1
        aside = _beside(path, f"{stamp}-{tries}")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-repair-")
    os.close(fd)
    try:
        with contextlib.closing(sqlite3.connect(temp, isolation_level=None)) as fresh:
            fresh.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION};")
            _salvage(path, fresh)
            marks = fresh.execute("SELECT COUNT(*) FROM marks").fetchone()[0]
            history = fresh.execute("SELECT COUNT(*) FROM history").fetchone()[0]
            note = (
                f"your state file was damaged; moved it to {aside}, kept {marks} hidden/favourite marks"
                f" and {history} history rows"
            )
            fresh.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(REPAIRED_AT, now.isoformat()), (REPAIR_NOTE, note), (REPAIR_UNTOLD, note)],
            )
            fresh.execute("COMMIT")
        for suffix in ("", *_SIDECARS):
            with contextlib.suppress(FileNotFoundError):
                os.rename(_beside(path, suffix), _beside(aside, suffix))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _salvage(path: Path, fresh: sqlite3.Connection) -> None:
    """Copy every row that can still be read into `fresh`, table by table,
    reading each from both ends, so a bad page costs only the rows on it. The
    damaged file is opened read-only: it is kept as it was."""
    try:
        damaged = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    with contextlib.closing(damaged):
        for table, columns in _COLUMNS.items():
            slots = ", ".join("?" * len(columns.split(",")))
            # OR IGNORE: a row the damage made invalid (a NULL, an unknown status) is left out
            insert = f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({slots})"
            read = f"SELECT rowid, {columns} FROM {table} ORDER BY rowid"
            last = None  # the last row read from the front
            for rowid, *values in _readable(damaged, read):
                fresh.execute(insert, values)
                last = rowid
            for rowid, *values in _readable(damaged, f"{read} DESC"):
                if last is not None and rowid <= last:
                    break
                fresh.execute(insert, values)


def _readable(db: sqlite3.Connection, sql: str) -> Iterator[tuple]:
    """The rows of `sql` up to the first one that can't be read."""
    try:
        yield from db.execute(sql)
    except sqlite3.Error:
        return
