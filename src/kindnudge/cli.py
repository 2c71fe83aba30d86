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
    from kindnudge.state import HistoryEntry

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
            notifier = notify.choose(config.backend, config.push_urls, config.push_mode)
            with state.transaction():
                delivery = nudge(library, config, kinds, notifier, state, datetime.now(timezone.utc), rng)
            if delivery.error:
                raise delivery.error
            message = delivery.message
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
    notifier = notify.choose(config.backend, config.push_urls, config.push_mode)
    try:
        print(f"backend: {notifier.describe()}")
    except KindnudgeError as exc:
        print(f"backend: {config.backend}, but nothing can deliver right now: {exc}")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def cmd_run(args: argparse.Namespace) -> int:
    from kindnudge import notify
    from kindnudge.daemon import Daemon, Loaded, setup_logging

    def load() -> Loaded:
        config, library = _load(args)
        return Loaded(
            config, library, _plan(config), notify.choose(config.backend, config.push_urls, config.push_mode)
        )

    setup_logging(paths.ensure_private_dir(paths.state_dir()) / "kindnudge.log")
    return Daemon(load, paths.state_db(), paths.config_file(args.config)[0]).run()


def _pause_end(args: argparse.Namespace, config: Config, now: datetime) -> datetime:
    from datetime import datetime, time, timedelta

    from kindnudge.planner import resolve
    from kindnudge.timetext import parse_duration, parse_time_of_day

    zone = config.zone()
    local = now.astimezone(zone)
    if args.today:
        return resolve(datetime.combine(local.date() + timedelta(days=1), time()), zone)
    if args.until:
        try:
            clock = parse_time_of_day(args.until)
        except ValueError:
            end = _moment(args.until, config)
        else:
            end = resolve(datetime.combine(local.date(), clock), zone)
            end = (
                end if end > now else resolve(datetime.combine(local.date() + timedelta(days=1), clock), zone)
            )
        if end <= now:
            raise UsageError(f"{args.until} has already passed; give a time in the future")
        return end
    try:
        span = parse_duration(args.duration)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not span:
        raise UsageError("a pause of 0 does nothing; give a duration such as 2h, or use `kindnudge resume`")
    return now + span


def cmd_pause(args: argparse.Namespace) -> int:
    from kindnudge.daemon import PAUSED_UNTIL
    from kindnudge.state import State

    config, _library = _load(args)
    now = _now()
    end = _pause_end(args, config, now)
    with State(paths.state_db()) as state, state.transaction():
        state.set_moment(PAUSED_UNTIL, end)
    print(f"Paused until {_local(end, config)}. `kindnudge resume` starts again sooner.")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from kindnudge.daemon import PAUSED_UNTIL
    from kindnudge.state import State

    with State(paths.state_db()) as state, state.transaction():
        was = state.get_moment(PAUSED_UNTIL)
        state.set_moment(PAUSED_UNTIL, None)
    print("Resumed." if was and was > _now() else "Nothing was paused.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from kindnudge import instance
    from kindnudge.daemon import PAUSED_UNTIL
    from kindnudge.planner import kind_label
    from kindnudge.state import State

    config, _library = _load(args)
    now = _now()
    pid = instance.running_pid(paths.state_db().with_name("daemon.lock"))
    with State(paths.state_db()) as state:
        paused = state.get_moment(PAUSED_UNTIL)
        paused = paused if paused and paused > now else None
        delivered = state.history(1, "delivered")
        failed = state.history(1, "failed")
    following = _plan(config).upcoming(max(now, paused or now), 1)
    report = {
        "running": pid is not None,
        "pid": pid,
        "next": {
            "at": following[0].at.isoformat(),
            "rule": following[0].rule,
            "kind": kind_label(following[0].kinds),
        }
        if following
        else None,
        "last_delivered": _entry_json(delivered[0]) if delivered else None,
        "paused_until": paused.isoformat() if paused else None,
        "backend": config.backend,
        "last_error": _entry_json(failed[0]) if failed else None,
    }
    if args.json:
        import json

        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"daemon: running (pid {pid})" if pid else "daemon: not running; start it with `kindnudge run`")
    nxt = report["next"]
    print(f"next: {nxt['at']} ({nxt['rule']}, {nxt['kind']})" if nxt else "next: nothing scheduled")
    last = delivered[0] if delivered else None
    print(f"last delivered: {last.at.isoformat()} {last.text}" if last else "last delivered: none yet")
    print(f"paused: until {_local(paused, config)}" if paused else "paused: no")
    print(f"backend: {config.backend}")
    error = failed[0] if failed else None
    print(
        f"last delivery error: {error.at.isoformat()} {error.reason}"
        if error
        else "last delivery error: none"
    )
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from kindnudge.state import State

    with State(paths.state_db()) as state:
        entries = state.history(args.n)
    if args.json:
        import json

        print(json.dumps([_entry_json(e) for e in entries], indent=2, ensure_ascii=False))
        return 0
    if not entries:
        print("no nudges yet")
    for e in entries:
        detail = e.text if e.status == "delivered" else f"{e.reason}" + (f" [{e.text}]" if e.text else "")
        print(f"{e.at.isoformat(timespec='seconds')}  {e.status:9}  {e.rule or '-':12} {e.kind:9} {detail}")
    return 0


def _entry_json(entry: HistoryEntry) -> dict:
    return {
        "at": entry.at.isoformat(),
        "due": entry.due.isoformat() if entry.due else None,
        "rule": entry.rule,
        "kind": entry.kind,
        "id": entry.message_id,
        "text": entry.text,
        "status": entry.status,
        "reason": entry.reason,
    }


def _now() -> datetime:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _local(moment: datetime, config: Config) -> str:
    return moment.astimezone(config.zone()).strftime("%a %d %b %H:%M (UTC%z)")


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

    run = commands.add_parser(
        "run",
        help="run in the foreground and show nudges on schedule",
        description="Run the scheduler in the foreground (autostart launches this). "
        "SIGHUP or saving the config reloads it; SIGTERM or Ctrl+C stops it.",
    )
    run.set_defaults(handler=cmd_run)

    pause = commands.add_parser(
        "pause", help="pause nudges for a while", description="Pause nudges; the pause ends by itself."
    )
    how_long = pause.add_mutually_exclusive_group(required=True)
    how_long.add_argument("duration", nargs="?", metavar="DURATION", help="e.g. 2h, 90m, 3d")
    how_long.add_argument("--until", metavar="TIME", help='a time such as "18:00", or an ISO 8601 moment')
    how_long.add_argument("--today", action="store_true", help="for the rest of today")
    pause.set_defaults(handler=cmd_pause)

    resume = commands.add_parser("resume", help="end a pause now", description="End a pause now.")
    resume.set_defaults(handler=cmd_resume)

    status = commands.add_parser(
        "status",
        help="is it running, what comes next",
        description="Show the daemon, next nudge, pause and errors.",
    )
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.set_defaults(handler=cmd_status)

    history = commands.add_parser(
        "history", help="what was shown, skipped or failed", description="List past nudges, newest first."
    )
    history.add_argument("-n", type=_positive, default=20, metavar="N", help="how many (default: 20)")
    history.add_argument("--json", action="store_true", help="print a JSON array")
    history.set_defaults(handler=cmd_history)
    for sub in (now, listing, check, upcoming, run, pause, resume, status, history):
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
