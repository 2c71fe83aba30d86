"""The user's saved state in one SQLite file: the shuffle bag and the history.

Writes happen inside short IMMEDIATE transactions, so two kindnudge
processes never draw the same message, and a crash never half-records one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from kindnudge.paths import ensure_private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bag_seen (
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (kind, message_id)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    due TEXT,
    rule TEXT,
    kind TEXT NOT NULL,
    message_id TEXT,
    text TEXT,
    status TEXT NOT NULL CHECK (status IN ('sending', 'delivered', 'failed', 'skipped', 'interrupted')),
    reason TEXT
);
CREATE INDEX IF NOT EXISTS history_kind_status ON history (kind, status, id);
CREATE TABLE IF NOT EXISTS marks (
    message_id TEXT PRIMARY KEY,
    mark TEXT NOT NULL CHECK (mark IN ('favourite', 'hidden'))
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
SCHEMA_VERSION = 2
PAUSED_UNTIL = "paused_until"  # a moment (see get_moment); `pause` sets it, the daemon and `now` read it


class HistoryEntry(NamedTuple):
    at: datetime  # when it was handled
    rule: str | None
    kind: str
    message_id: str | None  # None when skipped: nothing was drawn
    text: str | None
    status: str  # sending, then delivered or failed; or skipped; interrupted after a crash
    reason: str | None
    due: datetime | None = None  # the planned moment, for scheduled nudges


class State:
    """An open state database; use as a context manager to close it."""

    def __init__(self, path: Path) -> None:
        ensure_private_file(path)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            self.db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")

    def __enter__(self) -> State:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic step; IMMEDIATE takes the write lock before reading the bag."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def seen(self, kind: str) -> set[str]:
        rows = self.db.execute("SELECT message_id FROM bag_seen WHERE kind = ?", (kind,))
        return {row[0] for row in rows}

    def last_delivered(self, kind: str) -> str | None:
        row = self.db.execute(
            "SELECT message_id FROM history WHERE kind = ? AND status = 'delivered' ORDER BY id DESC LIMIT 1",
            (kind,),
        ).fetchone()
        return row[0] if row else None

    def mark_seen(self, kind: str, message_id: str, refill: Collection[str] = ()) -> None:
        """Count a message as seen; `refill` first empties those from the bag's record."""
        self.db.executemany(
            "DELETE FROM bag_seen WHERE kind = ? AND message_id = ?", [(kind, i) for i in refill]
        )
        self.db.execute("INSERT OR IGNORE INTO bag_seen VALUES (?, ?)", (kind, message_id))

    def marks(self) -> dict[str, str]:
        """Favourite or hidden, by message id."""
        return dict(self.db.execute("SELECT message_id, mark FROM marks"))

    def set_mark(self, message_id: str, mark: str | None) -> None:
        if mark is None:
            self.db.execute("DELETE FROM marks WHERE message_id = ?", (message_id,))
        else:
            self.db.execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (message_id, mark))

    def record(self, entry: HistoryEntry) -> int:
        """Add a history row; returns its id."""
        cursor = self.db.execute(
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

    def entry(self, row: int) -> HistoryEntry:
        return self._entries("WHERE id = ?", (row,))[0]

    def settle(self, row: int, status: str, reason: str | None) -> None:
        self.db.execute("UPDATE history SET status = ?, reason = ? WHERE id = ?", (status, reason, row))

    def unsee(self, kind: str, message_id: str) -> None:
        self.db.execute("DELETE FROM bag_seen WHERE kind = ? AND message_id = ?", (kind, message_id))

    def interrupted(self) -> int:
        """Rows left `sending` by a crash: say so rather than leave them pending."""
        return self.db.execute(
            "UPDATE history SET status = 'interrupted', reason = ? WHERE status = 'sending'",
            ("kindnudge stopped while showing this; it may have appeared",),
        ).rowcount

    def history(self, limit: int, status: str | None = None) -> list[HistoryEntry]:
        """The latest entries first; optionally only those with `status`."""
        if status:
            return self._entries("WHERE status = ? ORDER BY id DESC LIMIT ?", (status, limit))
        return self._entries("ORDER BY id DESC LIMIT ?", (limit,))

    def _entries(self, tail: str, params: tuple) -> list[HistoryEntry]:
        rows = self.db.execute(
            f"SELECT at, rule, kind, message_id, text, status, reason, due FROM history {tail}", params
        ).fetchall()
        return [
            HistoryEntry(
                datetime.fromisoformat(r[0]), *r[1:7], datetime.fromisoformat(r[7]) if r[7] else None
            )
            for r in rows
        ]

    def get_moment(self, key: str) -> datetime | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_moment(self, key: str, value: datetime | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value.isoformat()))
