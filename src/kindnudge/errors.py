"""The few kinds of failure a user can meet, each carrying its exit status.

They are raised anywhere and caught once, in `cli.main`, which prints one line:
2 for a file the user can fix, 1 for the machine's state, 70 for our own bug.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import NamedTuple


class Location(NamedTuple):
    """A place in a file, 1-based, so messages read like a compiler's.

    A tuple, not a dataclass: a big pack makes one per message, and tuples
    are several times cheaper to create.
    """

    path: Path | str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return str(self.path)
        return f"{self.path}:{self.line}:{self.column}"


class KindnudgeError(Exception):
    """Base class: a failure explained in one line, never a traceback."""

    exit_code = 1


class UsageError(KindnudgeError):
    """The user asked for something we cannot do as written (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A config or pack file is wrong; says where and what to write instead."""

    def __init__(self, message: str, where: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class DeliveryError(KindnudgeError):
    """The desktop did not take the notification (exit 1)."""


class AlreadyRunning(KindnudgeError):
    """A second daemon must not double the user's notifications (exit 1)."""


class Stopped(KindnudgeError):
    """An interactive command ended early: end of input, Ctrl+C (exit 130) or the
    editor failing. Whatever it was changing is left, or put back, as it was."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class MachineError(KindnudgeError):
    """The machine, not a file the user wrote, is in the way (exit 1): the state
    file is unusable, the disk is full, the database is locked, no desktop."""


_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EDQUOT: "your disk quota is used up; free some space and try again",
    errno.EACCES: "permission denied; check who owns it (ls -l) and that you may write there",
    errno.EPERM: "not permitted; check who owns it (ls -l)",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "part of this path is a file where a folder should be; move that file away",
    errno.EISDIR: "this is a folder where a file should be; move it away",
    errno.ELOOP: "a symbolic link points to itself or is not allowed here; remove it",
    errno.EFBIG: "the file has grown past the size this system allows (ulimit -f?)",
    errno.EIO: "the disk reported an input/output error",
}


def machine_error(exc: OSError, path: Path | str | None, doing: str) -> MachineError:
    """An OSError as one line: which file, what we were doing, what to do about it."""
    advice = _ADVICE.get(exc.errno or 0, exc.strerror or str(exc))
    where = path if path is not None else exc.filename
    return MachineError(f"{where}: cannot {doing}: {advice}" if where else f"cannot {doing}: {advice}")


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters shown escaped
    (they come from what the user typed), so an error stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
