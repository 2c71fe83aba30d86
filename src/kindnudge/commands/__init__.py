"""The commands: parse arguments, call the core, print.

Each handler loads what it needs (imports included, to keep start-up quick),
calls one core function and prints. Errors are raised, never printed here:
`cli.main` turns them into one line and an exit status.

Handlers live by topic: messages.py, timing.py, setting_up.py; common.py
has what they share.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from kindnudge import __version__, paths
from kindnudge.commands import messages, setting_up, timing

KIND_CHOICES = ("reframe", "self-care")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kindnudge",
        description="Gentle desktop nudges for getting over an ex who pushed you away.",
    )
    parser.add_argument("--version", action="version", version=f"kindnudge {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help=f"config file to use (default: ${paths.CONFIG_ENV} or the usual one)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True, parser_class=_Parser)

    setup = commands.add_parser(
        "setup",
        help="answer a few questions and you are set",
        description="Set kindnudge up in a short conversation; or give the answers as options with --yes.",
    )
    setup.add_argument("--times", metavar="HH:MM,...", help="fixed times, e.g. 08:30,20:00")
    setup.add_argument("--random", type=int, metavar="N", help="N nudges a day at random moments")
    setup.add_argument(
        "--between", metavar="HH:MM-HH:MM", help="the window for --random (default 10:00-21:00)"
    )
    setup.add_argument("--days", help="daily, weekdays, weekends, or days such as mon,wed,fri")
    setup.add_argument("--kinds", help="reframe, self-care, or both (default)")
    setup.add_argument("--quiet", metavar="HH:MM-HH:MM", help="quiet hours, or none (default 22:00-07:00)")
    setup.add_argument("--yes", action="store_true", help="don't ask: use these options and the defaults")
    setup.add_argument("--autostart", action="store_true", help="also start kindnudge when you log in")
    setup.add_argument("--no-test", action="store_true", help="don't send a test notification")
    setup.set_defaults(handler=setting_up.cmd_setup)

    now = commands.add_parser("now", help="show one nudge right now", description="Show one nudge now.")
    now.add_argument("--kind", choices=KIND_CHOICES, help="which kind of message (default: from config)")
    now.add_argument(
        "--dry-run", action="store_true", help="print the nudge instead of showing it; it stays in the bag"
    )
    now.set_defaults(handler=messages.cmd_now)

    listing = commands.add_parser("list", help="list all messages", description="List all messages.")
    listing.add_argument("--kind", choices=KIND_CHOICES, help="only this kind")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=messages.cmd_list)

    check = commands.add_parser(
        "check",
        help="validate config and packs",
        description="Validate config and packs, and say how notifications would be shown.",
    )
    check.set_defaults(handler=messages.cmd_check)

    upcoming = commands.add_parser(
        "next", help="list the next notifications", description="List the next notifications and their rules."
    )
    upcoming.add_argument("-n", type=_positive, default=5, metavar="N", help="how many (default: 5)")
    upcoming.add_argument(
        "--from", dest="from_", metavar="ISO8601", help="start from this moment instead of now"
    )
    upcoming.add_argument("--json", action="store_true", help="print a JSON array of {at, rule, kind}")
    upcoming.set_defaults(handler=timing.cmd_next)

    run = commands.add_parser(
        "run",
        help="run in the foreground and show nudges on schedule",
        description="Run the scheduler in the foreground (autostart launches this). "
        "SIGHUP or saving the config reloads it; SIGTERM or Ctrl+C stops it.",
    )
    run.set_defaults(handler=timing.cmd_run)

    pause = commands.add_parser(
        "pause", help="pause nudges for a while", description="Pause nudges; the pause ends by itself."
    )
    how_long = pause.add_mutually_exclusive_group(required=True)
    how_long.add_argument("duration", nargs="?", metavar="DURATION", help="e.g. 2h, 90m, 3d")
    how_long.add_argument("--until", metavar="TIME", help='a time such as "18:00", or an ISO 8601 moment')
    how_long.add_argument("--today", action="store_true", help="for the rest of today")
    pause.set_defaults(handler=timing.cmd_pause)

    resume = commands.add_parser("resume", help="end a pause now", description="End a pause now.")
    resume.set_defaults(handler=timing.cmd_resume)

    status = commands.add_parser(
        "status",
        help="is it running, what comes next",
        description="Show the daemon, next nudge, pause and errors.",
    )
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.set_defaults(handler=timing.cmd_status)

    history = commands.add_parser(
        "history", help="what was shown, skipped or failed", description="List past nudges, newest first."
    )
    history.add_argument("-n", type=_positive, default=20, metavar="N", help="how many (default: 20)")
    history.add_argument("--json", action="store_true", help="print a JSON array")
    history.set_defaults(handler=timing.cmd_history)
    add = commands.add_parser(
        "add", help="add a message of your own", description="Add a message of your own to my-messages.yaml."
    )
    add.add_argument("text", metavar="TEXT", help="the message, in quotes; at most 200 characters")
    add.add_argument("--kind", choices=KIND_CHOICES, required=True, help="reframe or self-care")
    add.set_defaults(handler=messages.cmd_add)

    remove = commands.add_parser(
        "remove", help="remove a message you added", description="Remove a message you added with `add`."
    )
    remove.add_argument("id", metavar="ID", help="its id, as `kindnudge list` shows")
    remove.set_defaults(handler=messages.cmd_remove)

    favourite = commands.add_parser(
        "favourite",
        help="see a message more often",
        description="Mark a message as a favourite: it comes more often (content.favourite_weight).",
    )
    hide = commands.add_parser(
        "hide", help="never see a message again", description="Hide a message: it is never shown again."
    )
    for sub, handler in ((favourite, messages.cmd_favourite), (hide, messages.cmd_hide)):
        sub.add_argument("id", metavar="ID|last", help="a message id, or `last` for the one shown last")
        sub.add_argument("--undo", action="store_true", help="take the mark away again")
        sub.set_defaults(handler=handler)
    autostart = commands.add_parser(
        "autostart",
        help="start kindnudge when you log in",
        description="Start `kindnudge run` with your desktop session"
        " (XDG autostart; --systemd for a user unit).",
    )
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    autostart.add_argument("--systemd", action="store_true", help="use a systemd user unit instead (Linux)")
    autostart.set_defaults(handler=setting_up.cmd_autostart)

    config = commands.add_parser(
        "config",
        help="where your config is, what it says, edit it",
        description="path: where the config file is; show: every setting in effect;"
        " edit: open it in $EDITOR.",
    )
    config.add_argument("action", choices=("path", "show", "edit"))
    config.set_defaults(handler=setting_up.cmd_config)

    subcommands = (
        *(now, listing, check, upcoming, run, pause, resume, status, history),
        *(add, remove, favourite, hide, autostart, config, setup),
    )
    for sub in subcommands:
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser
