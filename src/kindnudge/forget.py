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
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from kindnudge import ownpack
from kindnudge.errors import machine_error
from kindnudge.state import PAUSED_UNTIL, HistoryEntry, State

LOG = "kindnudge.log"  # and its rotated copies, kindnudge.log.1 to .3


class Erased(NamedTuple):
    history: int  # rows of history
    files: int  # logs, damaged copies and cached files
    own: bool  # your own messages (only when everything goes)


def forget(
    state: State, cache: Path, own: Path, now: datetime, everything: bool, keep_hidden: bool
) -> Erased:
    """Erase the history and what was seen; with `everything`, also the marks
    (hidden ones unless `keep_hidden`), the pause and your own messages.
    One `erased` row is left, saying when."""
    marks = ("favourite", *(() if keep_hidden else ("hidden",))) if everything else ()
    how = "kindnudge forget --all" if everything else "kindnudge forget"
    with state.transaction():
        rows = state.erase(marks, (PAUSED_UNTIL,) if everything else ())
        state.record(HistoryEntry(now, None, "any", None, None, "erased", f"you erased your history ({how})"))
    state.compact()
    files = _logs(state.path.parent) + _damaged_copies(state.path) + _cache(cache)
    return Erased(rows, files, everything and ownpack.clear(own))


def _logs(folder: Path) -> int:
    """The live log is emptied where it is (a running daemon appends to it);
    rotated ones are removed."""
    removed = 0
    try:
        live = os.open(folder / LOG, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
        os.close(live)
        removed += 1
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise machine_error(exc, folder / LOG, "empty the log") from None
    return removed + _remove(sorted(folder.glob(f"{LOG}.*")))


def _damaged_copies(state_db: Path) -> int:
    """What a repair set aside, and any half-made replacement a crash left."""
    folder, name = state_db.parent, state_db.name
    return _remove(sorted([*folder.glob(f"{name}.broken-*"), *folder.glob(f".{name}-repair-*")]))


def _cache(folder: Path) -> int:
    if not folder.is_dir() or folder.is_symlink():
        return 0
    files = [path for path in folder.rglob("*") if not path.is_dir()]
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise machine_error(exc, folder, "remove kindnudge's cache") from None
    return len(files)


def _remove(paths: list[Path]) -> int:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise machine_error(exc, path, "remove it") from None
    return len(paths)
