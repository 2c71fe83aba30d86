"""The few kinds of failure a user can meet, each carrying its exit status.

They are raised anywhere and caught once, in `cli.main`, which prints one line.
"""

from __future__ import annotations

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
