"""One daemon per user: a lock file that the kernel releases if we die.

The lock (flock(), or a byte-range lock on Windows) is held for the daemon's
whole life, so a crash or kill -9 never leaves a stale lock behind; the pid
inside is for `status` and messages. The file is opened without following a
symlink, so a planted `daemon.lock -> some-file` is refused, never truncated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from kindnudge.errors import AlreadyRunning, machine_error
from kindnudge.paths import check_regular, open_private


def lock_path(state_db: Path) -> Path:
    """The lock lives beside the state database it guards."""
    return state_db.with_name("daemon.lock")


def acquire(path: Path, config_file: Path | None = None) -> IO[str]:
    """Take the lock or raise AlreadyRunning; keep the returned file open. The
    config it reads is written beside the pid, so `setup` can tell whether the
    running daemon sees what it saved."""
    try:
        fd = open_private(path, os.O_RDWR)
    except OSError as exc:
        raise machine_error(exc, None, "open the daemon's lock") from None
    handle = os.fdopen(fd, "r+", encoding="utf-8", errors="replace")  # held for the daemon's life
    if not _try_lock(handle):
        pid = running_pid(path)
        handle.close()
        raise AlreadyRunning(
            f"kindnudge is already running (pid {pid}); stop it first, or use `kindnudge status`"
        )
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n{config_file or ''}\n")
    handle.flush()
    return handle


def running_pid(path: Path) -> int | None:
    """The daemon's pid if one holds the lock, else None."""
    holder = running(path)
    return holder[0] if holder else None


def running(path: Path) -> tuple[int, str] | None:
    """The daemon's pid and the config it reads ("" if unknown), if one holds the lock."""
    try:
        check_regular(path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise machine_error(exc, None, "read the daemon's lock") from None
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        if _try_lock(handle):
            return None  # nobody held it; closing the file lets it go
        pid, _, config = handle.read().partition("\n")
        return (int(pid) if pid.strip().isdigit() else -1), config.strip()


class FolderLock:
    """A lock on the state folder, shared while a State is open and exclusive
    while a damaged state file is replaced, so that no kindnudge process opens
    it half-way. Windows has no flock(); there it always succeeds."""

    def __init__(self, folder: Path) -> None:
        self.fd = os.open(folder, os.O_RDONLY) if sys.platform != "win32" else None

    def take(self, exclusive: bool, wait: float) -> bool:
        """Shared or exclusive, trying for at most `wait` seconds; False if others kept it."""
        if self.fd is None:
            return True
        import fcntl
        import time

        fcntl.flock(
            self.fd, fcntl.LOCK_UN
        )  # never convert in place: two converting would wait for each other
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self.fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.01)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


# Windows locks are mandatory: lock one byte far past the pid, so the pid stays readable.
_WINDOWS_LOCK_BYTE = 1 << 30


def _try_lock(handle: IO[str]) -> bool:
    """Take the lock without waiting; False if another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(handle.fileno(), _WINDOWS_LOCK_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            handle.seek(0)
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
