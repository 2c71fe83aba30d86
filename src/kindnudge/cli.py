"""The `kindnudge` command: parse arguments, call the core, print.

`main` is the one exit point: every KindnudgeError becomes one line on stderr
and its exit status; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from kindnudge import __version__, paths
from kindnudge.errors import KindnudgeError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from kindnudge.config import Config
    from kindnudge.library import Library
    from kindnudge.planner import Plan

KIND_CHOICES = ("reframe", "self-care")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def _load(args: argparse.Namespace) -> tuple[Config, Library]:
    from kindnudge.config import load_config
    from kindnudge.library import load_all

    path, required = paths.config_file(args.config)
    config = load_config(path, required)
    library = load_all(paths.builtin_packs_dir(), [(ref.path, ref.where) for ref in config.packs])
    return config, library


def cmd_now(args: argparse.Namespace) -> int:
    import random
    from datetime import datetime, timezone

    from kindnudge import notify
    from kindnudge.nudge import draw, notification_for, nudge
    from kindnudge.state import State

    config, library = _load(args)
    kinds = [args.kind] if args.kind else list(config.kinds)
    rng = random.Random()
    with State(paths.state_db()) as state:
        if args.dry_run:
            message = draw(library, kinds, state, rng).message
        else:
            notifier = notify.choose(config.backend)
            message = nudge(library, config, kinds, notifier, state, datetime.now(timezone.utc), rng)
    shown = notification_for(message, config)
    print(f"{shown.title}\n{shown.body}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    _config, library = _load(args)
    messages = [m for m in library.messages if not args.kind or m.kind == args.kind]
    if args.json:
        import json
        from dataclasses import asdict

        print(json.dumps([asdict(m) for m in messages], ensure_ascii=False, indent=2))
        return 0
    for m in messages:
        print(f"{m.id:30} {m.kind:9} {m.text}")
    return 0


def _plan(config: Config) -> Plan:
    from kindnudge.planner import Plan

    return Plan(config.schedule, config.zone(), config.quiet_hours)


def _moment(text: str, config: Config) -> datetime:
    """An ISO 8601 moment; without an offset it is read in the schedule's zone."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not an ISO 8601 time; write e.g. 2026-12-24T08:00 or 2026-12-24T08:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=config.zone())


def cmd_next(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from kindnudge.planner import kind_label

    config, _library = _load(args)
    start = _moment(args.from_, config) if args.from_ else datetime.now(timezone.utc)
    slots = _plan(config).upcoming(start, args.n)
    rows = [{"at": s.at.isoformat(), "rule": s.rule, "kind": kind_label(s.kinds)} for s in slots]
    if args.json:
        import json

        print(json.dumps(rows, indent=2))
    elif not rows:
        print("nothing is scheduled; add a rule under schedule: in your config")
    for row in rows if not args.json else ():
        print(f"{row['at']}  {row['kind']:9}  {row['rule']}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from kindnudge import notify
    from kindnudge.library import KINDS
    from kindnudge.planner import silenced_rules

    config, library = _load(args)
    for name in silenced_rules(_plan(config), datetime.now(timezone.utc)):
        print(f"warning: rule '{name}' always falls inside quiet_hours, so it never shows anything")
    source = config.source or f"built-in defaults (no file at {paths.config_file(args.config)[0]})"
    counts = ", ".join(f"{len(library.of_kind(k))} {k}" for k in KINDS)
    print(f"config: {source}: ok")
    print(f"messages: {counts}")
    notifier = notify.choose(config.backend)
    try:
        print(f"backend: {notifier.describe()}")
    except KindnudgeError as exc:
        print(f"backend: {notifier.name}, but it cannot deliver right now: {exc}")
    return 0


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

    now = commands.add_parser("now", help="show one nudge right now", description="Show one nudge now.")
    now.add_argument("--kind", choices=KIND_CHOICES, help="which kind of message (default: from config)")
    now.add_argument(
        "--dry-run", action="store_true", help="print the nudge instead of showing it; it stays in the bag"
    )
    now.set_defaults(handler=cmd_now)

    listing = commands.add_parser("list", help="list all messages", description="List all messages.")
    listing.add_argument("--kind", choices=KIND_CHOICES, help="only this kind")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=cmd_list)

    check = commands.add_parser(
        "check",
        help="validate config and packs",
        description="Validate config and packs, and say how notifications would be shown.",
    )
    check.set_defaults(handler=cmd_check)

    upcoming = commands.add_parser(
        "next", help="list the next notifications", description="List the next notifications and their rules."
    )
    upcoming.add_argument("-n", type=_positive, default=5, metavar="N", help="how many (default: 5)")
    upcoming.add_argument(
        "--from", dest="from_", metavar="ISO8601", help="start from this moment instead of now"
    )
    upcoming.add_argument("--json", action="store_true", help="print a JSON array of {at, rule, kind}")
    upcoming.set_defaults(handler=cmd_next)
    for sub in (now, listing, check, upcoming):
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
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
