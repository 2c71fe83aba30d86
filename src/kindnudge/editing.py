"""`kindnudge config edit`: your editor, with a safety net.

You edit a private working copy beside the config, not the config itself: a
running daemon watches the config, and must not see each broken save, nor the
problem notes written into the file. The copy is checked as if it were the
config after every save; if it is broken, the editor opens again with the
problem written at the top. Only a copy that passes replaces the config, in
one rename, so the daemon sees exactly one change. However else the session
ends (you give up, input ends, Ctrl+C, the terminal closes, the editor fails
or is killed), the config stays as it was, and what you wrote is kept beside
it, so nothing that worked and nothing you typed is lost.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from kindnudge import yamlfile
from kindnudge.errors import ConfigError, KindnudgeError, Location, Stopped, UsageError, machine_error
from kindnudge.paths import real_file, replace_atomically

PROBLEM = b"# kindnudge: "  # the lines we add above a broken file, and remove again
CHOOSE = "to use another editor, set EDITOR, e.g. EDITOR=gedit kindnudge config edit"
FALLBACKS = {  # when no editor is set: the kindest first, and how to leave it
    "nano": "save: Ctrl+O, Enter; close: Ctrl+X",
    "vi": "save and close: Esc, then :wq and Enter",
}


def editor() -> tuple[list[str], str]:
    """The command that edits a file, and a line to say first when we chose it ourselves."""
    for variable in ("VISUAL", "EDITOR"):
        candidate = os.environ.get(variable, "")
        try:
            command = shlex.split(candidate)
        except ValueError as exc:  # an unclosed quote, a trailing backslash
            raise UsageError(
                f"{variable}={candidate} is not a command ({str(exc).lower()});"
                f" set it again, e.g. {variable}=nano kindnudge config edit"
            ) from None
        if command:
            return command, ""
    for name, keys in FALLBACKS.items():
        if shutil.which(name):
            return [name], f"Opening it in {name} ({keys}); {CHOOSE}."
    raise UsageError("no editor found; set EDITOR, e.g. EDITOR=nano kindnudge config edit")


def working_copy(path: Path) -> Path:
    """Where `path` is edited: beside it, so it is checked as if it were there
    (packs are found relative to the config's folder), and hidden."""
    return path.with_name(f".{path.stem}.editing{path.suffix}")


def rejected(path: Path) -> Path:
    """Where an edit that could not be used is kept, until a later one succeeds."""
    return path.with_name(path.name + ".rejected")


def edit(path: Path, check: Callable[[Path], Any], ask: Callable[[str], str]) -> int:
    """Edit a copy of `path` until `check(copy)` passes (0), or the user gives up
    (2); any other end raises Stopped. `path` itself changes at most once, when
    a checked copy replaces it. `ask` raises EOFError at end of input."""
    from kindnudge.configfile import render

    target, copy = real_file(path), working_copy(path)
    before = _read(target)  # bytes as they were, None for no file
    start = render({}).encode("utf-8") if before is None else before  # what the copy begins as
    command, note = editor()
    for end in (signal.SIGHUP, signal.SIGTERM) if hasattr(signal, "SIGHUP") else ():
        signal.signal(end, _stop)  # a closed terminal ends the session like Ctrl+C
    try:
        _write(copy, _unfinished(copy, start, path))
        if note:
            print(note, flush=True)  # before the editor takes the terminal
        while True:
            _run_editor(command, copy)
            saved = _read(copy) or b""
            text = _strip_problem(saved)
            try:
                check(copy)
            except ConfigError as exc:
                print(f"kindnudge: {_named(exc, copy, path, saved, text)}")  # the file they think they edit
                if ask("Fix it now? [Y/n] ").strip().lower() in ("n", "no"):
                    kept, after = _give_up(path, copy, start)
                    problem = _named(exc, copy, kept or path, saved, text)  # where it can be found now
                    print(f"kindnudge: {problem}; {after[0].lower()}{after[1:]}", file=sys.stderr)
                    return 2
                _write(copy, PROBLEM + _problem(exc, copy, saved, text) + text)
                continue
            break
    except (EOFError, KeyboardInterrupt, KindnudgeError) as exc:
        reason = str(exc) if isinstance(exc, KindnudgeError) else "stopped"
        status = 130 if isinstance(exc, KeyboardInterrupt) else getattr(exc, "exit_code", 1)
        after = _give_up(path, copy, start)[1]
        raise Stopped(f"{reason}; {after[0].lower()}{after[1:]}", status) from None  # (paths keep their case)
    _remove(copy)
    if text == start:
        print("No change; your config is as it was.")
        return 0
    _write(target, text)
    _remove(rejected(path))  # superseded: what it held was given up on
    print(f"Saved {path}. A running `kindnudge run` picks it up by itself.")
    return 0


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(f"stopped by {signal.Signals(signum).name}", 128 + signum)


def _unfinished(copy: Path, start: bytes, path: Path) -> bytes:
    """What to open: a copy left by a session that was cut short (the computer
    went off) is reopened rather than lost; otherwise the config as it is."""
    left = _read(copy)
    if left is None or _strip_problem(left) == start:
        return start
    print(f"Reopening the edit you had not finished ({copy}); {path.name} has not changed.", flush=True)
    return left


def _named(exc: ConfigError, copy: Path, shown_as: Path, saved: bytes, text: bytes) -> str:
    """The problem as found in `shown_as`, which holds `text`: the notes on top
    of the copy, which `text` lacks, don't count."""
    where = exc.where
    if not (where and where.line and Path(where.path) == copy):
        return str(exc)  # (the mistake is in a pack)
    line = where.line - (len(saved.splitlines()) - len(text.splitlines()))
    return f"{Location(shown_as, line, where.column)}: {exc.message}"


def _problem(exc: ConfigError, copy: Path, saved: bytes, text: bytes) -> bytes:
    """The note on top: where, counted in the lines of the file as it reopens."""
    where = exc.where
    if not where:
        return f"{exc.message}\n".encode()
    if where.line and Path(where.path) == copy:  # lines shift: old notes go, this one comes
        shift = len(text.splitlines()) - len(saved.splitlines()) + 1
        return f"line {where.line + shift}, column {where.column}: {exc.message}\n".encode()
    return f"{where}: {exc.message}\n".encode()  # (the mistake is in a pack)


def _give_up(path: Path, copy: Path, start: bytes) -> tuple[Path | None, str]:
    """The copy goes; anything written in it is kept beside the config, which
    is as it was. Where it was kept, if anywhere, and the sentence saying so."""
    try:
        attempt = _strip_problem(_read(copy) or b"")
    except KindnudgeError:  # what is there now can't be read back (a pipe, too big): nothing to keep
        attempt = start
    kept = None if attempt == start else rejected(path)
    if kept:
        _write(kept, attempt)
    _remove(copy)
    if kept:
        return kept, f"Your config is as it was; your edit is kept in {kept}"
    return None, "Your config is as it was"


def _run_editor(command: list[str], path: Path) -> None:
    try:
        status = subprocess.run([*command, str(path)], check=False).returncode
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


def _remove(path: Path) -> None:
    """Tidying up only: a file that can't be removed does no harm."""
    with contextlib.suppress(OSError):
        path.unlink()


def _write(path: Path, content: bytes) -> None:
    try:
        replace_atomically(path, content)
    except OSError as exc:
        raise machine_error(exc, path, "save your config") from None
