"""The daemon's log: a rotated private file in the state folder, and stderr."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import IO

from kindnudge.errors import machine_error
from kindnudge.paths import open_private

log = logging.getLogger("kindnudge")


class PrivateLog(logging.handlers.RotatingFileHandler):
    """The log file, opened (and opened again after rotating) without following
    a symlink: a planted `kindnudge.log -> some-file` is refused, never written."""

    def _open(self) -> IO[str]:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """One line on stderr instead of logging's traceback."""
        with contextlib.suppress(OSError, ValueError):
            print(
                f"kindnudge: cannot write the log {self.baseFilename}: {sys.exc_info()[1]}", file=sys.stderr
            )


def setup_logging(log_file: Path) -> None:
    """A rotated file in the state folder, and stderr; both one line per event."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    try:
        to_file = PrivateLog(log_file, maxBytes=512 * 1024, backupCount=3, encoding="utf-8")
    except OSError as exc:
        raise machine_error(exc, None, "open the log") from None
    to_stderr = logging.StreamHandler(sys.stderr)
    for handler in (to_file, to_stderr):
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").addHandler(to_file)
