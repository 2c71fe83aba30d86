"""One daemon per user: a lock file that the kernel releases if we die.

flock() is held for the daemon's whole life, so a crash or kill -9 never
leaves a stale lock behind; the pid inside is for `status` and messages.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from kindnudge.errors import AlreadyRunning
from kindnudge.paths import ensure_private_file


def lock_path(state_db: Path) -> Path:
    """The lock lives beside the state database it guards."""
    return state_db.with_name("daemon.lock")


def acquire(path: Path) -> IO[str]:
    """Take the lock or raise AlreadyRunning; keep the returned file open."""
    handle = open(ensure_private_file(path), "a+", encoding="ascii")  # noqa: SIM115 - held for the daemon's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = running_pid(path)
        handle.close()
        raise AlreadyRunning(
            f"kindnudge is already running (pid {pid}); stop it first, or use `kindnudge status`"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def running_pid(path: Path) -> int | None:
    """The daemon's pid if one holds the lock, else None."""
    try:
        with open(path, encoding="ascii") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = handle.read().strip()
                return int(text) if text.isdigit() else -1
            return None
    except FileNotFoundError:
        return None
