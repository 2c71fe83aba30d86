"""The commands: parse arguments, call the core, print.

Each handler loads what it needs (imports included, to keep start-up quick),
calls one core function and prints. Errors are raised, never printed here:
`cli.main` turns them into one line and an exit status.

Handlers live by topic: messages.py, timing.py, setting_up.py; common.py
has what they share.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, NamedTuple, NoReturn

from kindnudge import __version__, paths
from kindnudge.errors import one_line

KIND_CHOICES = ("reframe", "self-care")

Arguments = Callable[[argparse.ArgumentParser], None]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {one_line(message)}; see {self.prog} --help\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Words a command doesn't take are its own mistake, so the message
        points at its help (`kindnudge pause --help`), not at the general one."""
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        """Unlike argparse's, lets a failure to print (--help into a full disk)
        reach `cli.main`, which says so."""
        if message:
            (file or sys.stderr).write(message)

    def _get_formatter(self) -> argparse.HelpFormatter:
        """argparse makes a formatter at every add_argument, and one left to find
        the terminal's width imports shutil: 3 ms of every command."""
        return self.formatter_class(prog=self.prog, width=_columns() - 2)


def _columns() -> int:
    """The terminal's width as shutil finds it: $COLUMNS, else the terminal's, else 80."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _count(most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to `most`, a range the message gives.
    A bound at all, because `next -n 99999999999999999999` would never end."""

    def count(text: str) -> int:
        if text.isascii() and text.isdigit() and len(text) <= len(str(most)) and 1 <= int(text) <= most:
            return int(text)
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number from 1 to {most}")

    return count


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--times", metavar="HH:MM,...", help="fixed times, e.g. 08:30,20:00")
    p.add_argument("--random", type=int, metavar="N", help="N nudges a day at random moments")
    p.add_argument("--between", metavar="HH:MM-HH:MM", help="the window for --random (default 10:00-21:00)")
    p.add_argument("--days", help="daily, weekdays, weekends, or days such as mon,wed,fri")
    p.add_argument("--kinds", help="reframe, self-care, or both (default)")
    p.add_argument("--quiet", metavar="HH:MM-HH:MM", help="quiet hours, or none (default 22:00-07:00)")
    p.add_argument("--yes", action="store_true", help="don't ask: use these options; keep the rest as it is")
    p.add_argument("--autostart", action="store_true", help="also start kindnudge when you log in")
    p.add_argument("--no-test", action="store_true", help="don't send a test notification")
    p.add_argument(
        "--journey",
        metavar="path|any",
        help="a path through the article day by day, or messages in any order; after a path, fewer or stop",
    )
    p.add_argument(
        "--discreet",
        metavar="yes|no",
        help="yes: a nudge hides its words until you choose Show on it (for a screen others may see)",
    )


def _now(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=KIND_CHOICES, help="which kind of message (default: from config)")
    p.add_argument(
        "--dry-run", action="store_true", help="print the nudge instead of showing it; it stays in the bag"
    )


def _json(p: argparse.ArgumentParser, what: str = "array") -> None:
    p.add_argument("--json", action="store_true", help=f"print a JSON {what}")


def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=KIND_CHOICES, help="only this kind")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--hidden", action="store_true", help="only the messages you hid, with their text")
    only.add_argument("--favourites", action="store_true", help="only your favourites")
    p.add_argument(
        "--json", action="store_true", help="print a JSON array; `mark` is null, favourite or hidden"
    )


def _next(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-n", type=_count(1000), default=5, metavar="N", help="how many, at most 1000 (default: 5)"
    )
    p.add_argument("--from", dest="from_", metavar="ISO8601", help="start from this moment instead of now")
    p.add_argument("--json", action="store_true", help="print a JSON array of {at, rule, kind}")


def _pause(p: argparse.ArgumentParser) -> None:
    how_long = p.add_mutually_exclusive_group(required=True)
    how_long.add_argument(
        "duration", nargs="*", default=[], metavar="DURATION", help='e.g. 2h, 90m, "2 hours", or a time: 6pm'
    )
    how_long.add_argument("--until", metavar="TIME", help='a time such as "18:00" or 6pm, or an ISO moment')
    how_long.add_argument("--today", action="store_true", help="for the rest of today")


def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-n", type=_count(10000), default=20, metavar="N", help="how many, at most 10000 (default: 20)"
    )
    _json(p)


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="+", metavar="TEXT", help="the message, in quotes; at most 200 characters")
    p.add_argument("--kind", choices=KIND_CHOICES, required=True, help="reframe or self-care")


def _remove(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="its id, as `kindnudge list` shows")


def _mark(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID|last", help="a message id, or `last` for the one shown last")
    p.add_argument("--undo", action="store_true", help="take the mark away again")


def _autostart(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("enable", "disable", "status"))
    p.add_argument("--systemd", action="store_true", help="use a systemd user unit instead (Linux)")


def _config(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("path", "show", "edit"))


def _forget(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--all",
        action="store_true",
        help="also your favourites and hidden marks (hidden messages can then come again),"
        " any pause and your own messages; never the config",
    )
    p.add_argument("--yes", action="store_true", help="don't ask; with --all, the hidden marks go too")


def _journey(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="?",
        choices=("start", "restart", "stop", "next"),
        help="start a path, go to another day of it, leave it, or choose what comes after it",
    )
    p.add_argument(
        "choice", nargs="?", metavar="fewer|shuffle|stop", help="with next: what comes after the path"
    )
    p.add_argument("--days", type=int, metavar="N", help="with start: how many days, 14 to 42 (default 21)")
    p.add_argument("--from-day", type=int, metavar="N", help="with start: begin on this day of the path")
    p.add_argument("--day", type=int, metavar="N", help="with restart: the day to go to, e.g. 3")
    _json(p, "object: day, days, stage, started")


def _none(_p: argparse.ArgumentParser) -> None:
    pass


def _later(topic: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler whose module is imported only when its command runs: an idle
    `kindnudge run` then holds none of the other commands' code."""

    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        return getattr(import_module(f"kindnudge.commands.{topic}"), name)(args)

    return handler


class Command(NamedTuple):
    name: str
    help: str  # one line in `kindnudge --help`
    description: str  # the top of `kindnudge NAME --help`
    handler: Callable[[argparse.Namespace], int]
    arguments: Arguments = _none


COMMANDS = (
    Command(
        "setup",
        "answer a few questions and you are set",
        "Set kindnudge up in a short conversation; or give the answers as options with --yes.",
        _later("setting_up", "cmd_setup"),
        _setup,
    ),
    Command("now", "show one nudge right now", "Show one nudge now.", _later("messages", "cmd_now"), _now),
    Command(
        "list",
        "list all messages, and what you hid or favourited",
        "List all messages, with your marks: favourite or hidden.",
        _later("messages", "cmd_list"),
        _list,
    ),
    Command(
        "check",
        "validate config and packs",
        "Validate config and packs, and say how notifications would be shown.",
        _later("messages", "cmd_check"),
    ),
    Command(
        "next",
        "list the next notifications",
        "List the next notifications and their rules.",
        _later("timing", "cmd_next"),
        _next,
    ),
    Command(
        "journey",
        "a path through the article, day by day",
        "Where you are on your journey; start, restart --day N or stop it, or choose what follows it."
        " On a journey each day's nudges come from that day's stage.",
        _later("journeying", "cmd_journey"),
        _journey,
    ),
    Command(
        "run",
        "run in the foreground and show nudges on schedule",
        "Run the scheduler in the foreground (autostart launches this). "
        "SIGHUP or saving the config reloads it; SIGTERM or Ctrl+C stops it.",
        _later("timing", "cmd_run"),
    ),
    Command(
        "pause",
        "pause nudges for a while",
        "Pause nudges; the pause ends by itself.",
        _later("timing", "cmd_pause"),
        _pause,
    ),
    Command("resume", "end a pause now", "End a pause now.", _later("timing", "cmd_resume")),
    Command(
        "status",
        "is it running, what comes next",
        "Show the daemon, next nudge, pause and errors.",
        _later("timing", "cmd_status"),
        lambda p: _json(p, "object"),
    ),
    Command(
        "history",
        "what was shown, skipped or failed",
        "List past nudges, newest first.",
        _later("timing", "cmd_history"),
        _history,
    ),
    Command(
        "last",
        "the nudge shown most recently",
        "Show the nudge shown most recently: when, title, text and its id.",
        _later("messages", "cmd_last"),
        lambda p: _json(p, "object"),
    ),
    Command(
        "add",
        "add a message of your own",
        "Add a message of your own to my-messages.yaml.",
        _later("messages", "cmd_add"),
        _add,
    ),
    Command(
        "remove",
        "remove a message you added",
        "Remove a message you added with `add`.",
        _later("messages", "cmd_remove"),
        _remove,
    ),
    Command(
        "favourite",
        "see a message more often",
        "Mark a message as a favourite: it comes more often (content.favourite_weight).",
        _later("messages", "cmd_favourite"),
        _mark,
    ),
    Command(
        "hide",
        "never see a message again",
        "Hide a message: it is never shown again.",
        _later("messages", "cmd_hide"),
        _mark,
    ),
    Command(
        "autostart",
        "start kindnudge when you log in",
        "Start `kindnudge run` with your desktop session (XDG autostart; --systemd for a user unit).",
        _later("setting_up", "cmd_autostart"),
        _autostart,
    ),
    Command(
        "forget",
        "erase your history and what you have seen",
        "Erase your history and what you have seen, thoroughly: the log and cache too."
        " Your config, own messages, favourites and hidden marks stay, unless --all.",
        _later("setting_up", "cmd_forget"),
        _forget,
    ),
    Command(
        "config",
        "where your config is, what it says, edit it",
        "path: where the config file is; show: every setting in effect; edit: open it in $EDITOR.",
        _later("setting_up", "cmd_config"),
        _config,
    ),
)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser for `argv`, with only the sub-parser of the command it names.

    Building all sixteen took longer than the rest of `now --dry-run` after
    imports. `--help`, a typo or no command at all still gets every one.
    """
    parser = _TopParser(
        prog="kindnudge",
        description="Gentle desktop nudges for getting over an ex who pushed you away.",
    )
    parser.add_argument("--version", action="version", version=f"kindnudge {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help=f"config file to use (default: ${paths.CONFIG_ENV} or the usual one)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True, parser_class=_Parser)
    word = _command_word(argv)
    named = [c for c in COMMANDS if c.name == word]
    for command in COMMANDS if "-h" in argv or "--help" in argv or not named else named:
        sub = commands.add_parser(command.name, help=command.help, description=command.description)
        command.arguments(sub)
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.set_defaults(handler=command.handler)
    return parser


class _TopParser(_Parser):
    """`kindnudge` with no command, or a word that isn't one, is told what to
    write in words, not argparse's list of choices; `kindnudge help` is --help."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = list(sys.argv[1:] if args is None else args)
        word, names = _command_word(argv), {c.name for c in COMMANDS}
        if word == "help":  # as people try it first: `kindnudge help`, `kindnudge help pause`
            about = argv[argv.index("help") + 1 :][:1]
            if about and about[0] not in names:
                self.error(_what_to_write(about[0]))
            if about:
                return super().parse_known_args([*about, "--help"], namespace)
            self.print_help()
            self.exit(0)
        if not {"-h", "--help", "--version"} & set(argv) and word not in names:
            self.error(_what_to_write(word))
        return super().parse_known_args(args, namespace)


_INSTEAD = {  # words people try, and the command that does it
    "start": "run",
    "stop": 'pause (for a while), or see the README\'s "Stop and remove"',
    "quit": 'pause (for a while), or see the README\'s "Stop and remove"',
    "unhide": "hide --undo ID",
    "unfavourite": "favourite --undo ID",
    "favorite": "favourite",
    "delete": "remove ID, for a message of your own",
    "edit": "config edit",
}


def _what_to_write(word: str | None) -> str:
    import difflib

    if word is None:
        return "say what to do, e.g. kindnudge setup the first time, or kindnudge run to start it"
    names = [c.name for c in COMMANDS]
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
    instead = _INSTEAD.get(word.lower()) or (close[0] if close else None)
    if instead:
        return f"'{word}' is not a command; try kindnudge {instead}"
    return f"'{word}' is not a command; the commands are {', '.join(names)}"


def _command_word(argv: Sequence[str]) -> str | None:
    """The first word that is neither an option nor the value of --config."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
