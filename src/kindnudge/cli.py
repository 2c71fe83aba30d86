"""The `kindnudge` command's one exit point.

Every KindnudgeError becomes one line on stderr and its exit status; nothing
reaches the user as a traceback. `--version` answers before anything else is
imported, so it costs little more than starting Python.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from kindnudge import __version__

        print(f"kindnudge {__version__}")
        return 0
    from kindnudge.commands import build_parser
    from kindnudge.errors import KindnudgeError

    try:
        parsed = build_parser(args).parse_args(args)
        return parsed.handler(parsed)
    except KindnudgeError as exc:
        print(f"kindnudge: {exc}", file=sys.stderr)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `kindnudge list | head`: the reader left, fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get("KINDNUDGE_DEBUG"):
            raise
        print(
            f"kindnudge: internal error: {exc!r}; set KINDNUDGE_DEBUG=1 for details and please report it",
            file=sys.stderr,
        )
        return 70


def entry() -> None:
    """The installed command (and `python -m kindnudge`).

    A command's imports make thousands of long-lived objects and almost no
    garbage cycles, yet Python hunts for cycles among them while importing and
    again, several times, at exit: a sixth of a short command. So commands run
    with the collector off (the daemon turns it back on) and skip the exit hunt.
    """
    gc.disable()
    status = main()
    gc.freeze()
    sys.exit(status)
