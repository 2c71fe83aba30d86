"""The `kindnudge` command's one exit point.

Whatever goes wrong ends here as one line on stderr and an exit status: a
KindnudgeError's own (2 for what the user can fix, 1 for the machine's
state), 1 for any other OSError or SQLite error, 130 for Ctrl+C, and 70 for
our own bug, whose traceback goes to the log. No traceback reaches the
terminal, not even when the output is closed, full, or a pipe whose reader
has left. `--version` answers before anything else is imported, so it costs
little more than starting Python; so does a plain `now` that the running
daemon takes (channel.quick_now).
"""

from __future__ import annotations

import gc
import io
import os
import sys
from collections.abc import Sequence

_BUG_LOG = "kindnudge.log"  # the daemon's log, in the state folder


class _OutputError(OSError):
    """Standard output refused what we printed (a full disk, a dead terminal)."""


class _Stdout(io.FileIO):
    """File descriptor 1, whose failures say they are the output's: a full disk
    while printing must not read as a full disk while saving the state."""

    def write(self, data: bytes) -> int:
        try:
            return super().write(data)
        except BrokenPipeError:  # the reader left (`| head`): fine, handled as such
            raise
        except OSError as exc:
            raise _OutputError(exc.errno, exc.strerror) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = _dispatch(args)
        sys.stdout.flush()  # here rather than at exit, where a failure can't be reported
        return status
    except BaseException as exc:
        return _explain(exc)


def _dispatch(args: list[str]) -> int:
    if args == ["--version"]:
        from kindnudge import __version__

        print(f"kindnudge {__version__}")
        return 0
    if "now" in args:  # handed to a running daemon, it needs neither the parser nor the config
        from kindnudge.channel import quick_now

        status = quick_now(args)
        if status is not None:
            return status
    from kindnudge.commands import build_parser

    parsed = build_parser(args).parse_args(args)
    return parsed.handler(parsed)


def _explain(exc: BaseException) -> int:
    """Say `exc` in one line on stderr; return the exit status it deserves."""
    from kindnudge.errors import KindnudgeError, MachineError, machine_error

    if isinstance(exc, SystemExit):  # argparse has printed --help or a usage error
        status = exc.code if isinstance(exc.code, int) else 2
        return _flushed(status)
    if isinstance(exc, KeyboardInterrupt):
        return _flushed(130)
    if isinstance(exc, BrokenPipeError):  # e.g. `kindnudge list | head`: the reader left, fine
        _silence(1)
        return 0
    if isinstance(exc, _OutputError):
        _silence(1)
        exc = machine_error(exc, None, "write the output")
    if isinstance(exc, KindnudgeError):
        _say(str(exc))
        return _flushed(exc.exit_code)
    if os.environ.get("KINDNUDGE_DEBUG"):
        raise exc
    if isinstance(exc, OSError):
        return _explain(machine_error(exc, exc.filename, "go on"))
    sqlite3 = sys.modules.get("sqlite3")  # loaded if, and only if, a SQLite error is possible
    if sqlite3 and isinstance(exc, sqlite3.Error):
        return _explain(MachineError(_sqlite_message(exc)))
    if isinstance(exc, EOFError):
        return _explain(MachineError("the input ended (Ctrl+D, or no terminal) before an answer; stopped"))
    _say(_report_bug(exc))
    return _flushed(70)


def _sqlite_message(exc: Exception) -> str:
    from kindnudge import paths

    if "locked" in str(exc):
        return (
            f"{paths.state_db()}: kindnudge's state is busy: another kindnudge "
            "or another program holds it; try again in a moment"
        )
    return f"{paths.state_db()}: cannot use kindnudge's state: {exc}"


def _report_bug(exc: BaseException) -> str:
    """Our own bug: its traceback appended to the log, and the line that says where."""
    import traceback
    from datetime import datetime

    from kindnudge import __version__, paths

    log = "the log"
    try:
        log = paths.ensure_private_dir(paths.state_dir()) / _BUG_LOG
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        with open(os.open(log, flags, 0o600), "a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} ERROR internal error in kindnudge {__version__}\n")
            out.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except Exception as failure:
        return (
            f"internal error: {exc!r}; could not write the details to {log} ({failure}); "
            "run again with KINDNUDGE_DEBUG=1 to see them, and please report it"
        )
    return f"internal error: {exc!r}; the details are in {log}; please report it"


def _flushed(status: int) -> int:
    """`status`, once what was printed has reached standard output; 1 if it couldn't."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence(1)
    except OSError as exc:
        from kindnudge.errors import machine_error

        _silence(1)
        _say(str(machine_error(exc, None, "write the output")))
        return status or 1
    return status


def _say(text: str) -> None:
    """One line on stderr, if stderr takes it."""
    from kindnudge.errors import one_line

    try:
        print(f"kindnudge: {one_line(text)}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        _silence(2)


def _silence(fd: int) -> None:
    """Point a broken output's descriptor at /dev/null, so that nothing more
    fails: not us, nor the interpreter's flush at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


def _steady_streams() -> None:
    """Make the standard streams safe, however we were started.

    A closed one is opened on /dev/null, so that no file we open takes its
    number and receives what we print; text the output's encoding can't show
    (PYTHONIOENCODING=ascii) is escaped rather than an error, and so is input
    it can't read; and standard output's failures are marked as its own.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # takes the lowest free number: this one
    if sys.stdin is None:
        sys.stdin = open(0, errors="replace", closefd=False)  # noqa: SIM115 -- lives as long as the process
    else:
        sys.stdin.reconfigure(errors="replace")  # a stray byte in an answer is a wrong answer, no more
    if sys.stderr is None:
        sys.stderr = open(2, "w", errors="backslashreplace", closefd=False)  # noqa: SIM115
    else:
        sys.stderr.reconfigure(errors="backslashreplace")
    out = sys.stdout
    binary = getattr(out, "buffer", None)
    unbuffered = type(binary) is io.FileIO  # python -u, PYTHONUNBUFFERED
    if out is not None and type(getattr(binary, "raw", binary)) is not io.FileIO:
        out.reconfigure(errors="backslashreplace")  # e.g. the Windows console: leave it be
        return
    raw = _Stdout(1, "w", closefd=False)
    sys.stdout = io.TextIOWrapper(
        raw if unbuffered else io.BufferedWriter(raw),
        encoding=out.encoding if out else None,
        errors="backslashreplace",
        line_buffering=out.line_buffering if out else False,
        write_through=unbuffered,
    )


def entry() -> None:
    """The installed command (and `python -m kindnudge`).

    A command's imports make thousands of long-lived objects and almost no
    garbage cycles, yet Python hunts for cycles among them while importing and
    again, several times, at exit: a sixth of a short command. So commands run
    with the collector off (the daemon turns it back on) and skip the exit hunt.
    """
    gc.disable()
    _steady_streams()
    status = main()
    gc.freeze()
    sys.exit(status)
