"""Erasing what kindnudge keeps about you: `kindnudge forget`.

This history is about a breakup, so erasing it is thorough. Rows go with
SQLite's secure_delete, the file is rebuilt and its -wal emptied (in place:
a running daemon may have it open). The logs, the damaged copies a repair
set aside, and the cache, which holds the text of every message, your own
included, go too. The config is never touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from kindnudge import ownpack
from kindnudge.errors import machine_error
from kindnudge.journey import STATE_KEY as JOURNEY
from kindnudge.state import PAUSED_UNTIL, HistoryEntry, State

LOG = "kindnudge.log"  # and its rotated copies, kindnudge.log.1 to .3


class Erased(NamedTuple):
    history: int  # rows of history
    own: bool  # your own messages were there, and went (only when everything goes)
    let_go: datetime | None  # a nudge waiting for a better moment went with them, due then
    journey: bool  # a path through the article was saved, and went (only when everything goes)


def forget(
    state: State, cache: Path, own: Path, now: datetime, everything: bool, keep_hidden: bool
) -> Erased:
    """Erase the history and what was seen; with `everything`, also the marks
    (hidden ones unless `keep_hidden`), the pause and your own messages.
    One `erased` row is left, saying when."""
    marks = ("favourite", *(() if keep_hidden else ("hidden",))) if everything else ()
    how = "kindnudge forget --all" if everything else "kindnudge forget"
    with state.transaction():
        held = [entry.due or entry.at for _, entry in state.held()]
        journey = everything and state.get_text(JOURNEY) is not None
        rows = state.erase(marks, (PAUSED_UNTIL, JOURNEY) if everything else ())
        state.record(HistoryEntry(now, None, "any", None, None, "erased", f"you erased your history ({how})"))
    state.compact()
    _logs(state.path.parent)
    _damaged_copies(state.path)
    _cache(cache)
    return Erased(rows, everything and ownpack.clear(own), max(held, default=None), journey)


def _logs(folder: Path) -> None:
    """The live log is emptied where it is (a running daemon appends to it);
    rotated ones are removed."""
    try:
        os.close(os.open(folder / LOG, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise machine_error(exc, folder / LOG, "empty the log") from None
    _remove(folder.glob(f"{LOG}.*"))


def _damaged_copies(state_db: Path) -> None:
    """What a repair set aside, and any half-made replacement a crash left."""
    folder, name = state_db.parent, state_db.name
    _remove([*folder.glob(f"{name}.broken-*"), *folder.glob(f".{name}-repair-*")])


def _cache(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink():
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise machine_error(exc, folder, "remove kindnudge's cache") from None


def _remove(paths: Iterable[Path]) -> None:
    for path in list(paths):  # listed first: a folder is not read while it changes
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise machine_error(exc, path, "remove it") from None
