"""`kindnudge config edit`: your editor, with a safety net.

The file is checked after every save. If it is broken, the editor opens again
with the problem written at the top. However the session ends without a
working file (you give up, input ends, Ctrl+C, the editor fails or is
killed), the last working version is put back, and what you wrote is kept
beside it, so nothing that worked and nothing you typed is lost.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kindnudge import yamlfile
from kindnudge.errors import ConfigError, KindnudgeError, Stopped, UsageError, machine_error
from kindnudge.paths import real_file, replace_atomically

PROBLEM = b"# kindnudge: "  # the lines we add above a broken file, and remove again


def editor() -> list[str]:
    for candidate in (os.environ.get("VISUAL"), os.environ.get("EDITOR")):
        if candidate:
            return shlex.split(candidate)
    for fallback in ("nano", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise UsageError("no editor found; set EDITOR, e.g. EDITOR=nano kindnudge config edit")


def edit(path: Path, check: Callable[[], Any], ask: Callable[[str], str]) -> int:
    """Edit until `check()` passes (0), or the user gives up (2); any other end
    puts the file back and raises Stopped. `ask` raises EOFError at end of input."""
    path = real_file(path)
    before = _read(path)  # bytes as they were, None for no file
    if before is None:
        from kindnudge.configfile import render

        _write(path, render({}).encode("utf-8"))
    try:
        while True:
            _run_editor(path)
            text = _strip_problem(_read(path) or b"")
            _write(path, text)
            try:
                check()
            except ConfigError as exc:
                print(f"kindnudge: {exc}")
                if ask("Fix it now? [Y/n] ").strip().lower() in ("n", "no"):
                    print(f"{_put_back(path, before)}.")
                    return 2
                where = exc.where
                note = f"{where}: " if where else ""  # (the mistake may be in a pack)
                if where and where.line and real_file(Path(where.path)) == path:
                    note = f"line {where.line + 1}, column {where.column}: "
                _write(path, PROBLEM + f"{note}{exc.message}\n".encode() + text)
                continue
            print(f"Saved {path}. A running `kindnudge run` picks it up by itself.")
            return 0
    except (EOFError, KeyboardInterrupt, KindnudgeError) as exc:
        reason = str(exc) if isinstance(exc, KindnudgeError) else "stopped"
        status = 130 if isinstance(exc, KeyboardInterrupt) else getattr(exc, "exit_code", 1)
        raise Stopped(f"{reason}; {_put_back(path, before).lower()}", status) from None


def _run_editor(path: Path) -> None:
    command = [*editor(), str(path)]
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as exc:
        raise UsageError(
            f"cannot start the editor '{command[0]}' ({exc.strerror});"
            " set EDITOR, e.g. EDITOR=nano kindnudge config edit"
        ) from None
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.valid_signals() else f"signal {-status}"
        raise Stopped(f"the editor was stopped by {name}", 130 if -status == signal.SIGINT else 1)
    if status > 0:
        raise Stopped(f"the editor '{command[0]}' exited with status {status}")


def _put_back(path: Path, before: bytes | None) -> str:
    """The file as it was before editing; anything written instead is kept beside it."""
    from kindnudge.configfile import render

    try:
        attempt = _strip_problem(_read(path) or b"")
    except KindnudgeError:  # what is there now can't be read back (a pipe, too big): nothing to keep
        attempt = before
    if attempt in (before, render({}).encode("utf-8")):
        kept = None
    else:
        kept = path.with_name(path.name + ".rejected")
        _write(kept, attempt)
    if before is None:
        path.unlink(missing_ok=True)
    else:
        _write(path, before)
    if kept:
        return f"Put back your last working config; nothing was lost (your edit is in {kept})"
    return "Your config is as it was"


def _strip_problem(text: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(PROBLEM):
        lines.pop(0)
    return b"".join(lines)


def _read(path: Path) -> bytes | None:
    """The file's bytes, exactly (an editor may save what isn't UTF-8, and the check
    says so), read safely: a pipe, a device or a broken link there is refused."""
    if not yamlfile.exists(path):
        return None
    return yamlfile.read_bytes(path, yamlfile.MAX_CONFIG_BYTES)


def _write(path: Path, content: bytes) -> None:
    try:
        replace_atomically(path, content)
    except OSError as exc:
        raise machine_error(exc, path, "save your config") from None
