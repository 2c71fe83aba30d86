"""The commands: parse arguments, call the core, print.

Each handler loads what it needs (imports included, to keep start-up quick),
calls one core function and prints. Errors are raised, never printed here:
`cli.main` turns them into one line and an exit status.
"""

from __future__ import annotations

import argparse
import sys
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
    from kindnudge import ownpack
    from kindnudge.config import load_config
    from kindnudge.errors import Location
    from kindnudge.library import load_all

    path, required = paths.config_file(args.config)
    config = load_config(path, required)
    packs = [(ref.path, ref.where) for ref in config.packs]
    own = ownpack.path_for(path)
    if own.exists() and own not in [p for p, _ in packs]:
        packs.append((own, Location(own)))
    return config, load_all(paths.builtin_packs_dir(), packs, paths.cache_dir())


def _message_id(text: str, library: Library) -> str:
    """An id as typed, or `last` for the message shown most recently."""
    from kindnudge.state import State

    if text == "last":
        with State(paths.state_db()) as state:
            last = state.history(1, "delivered")
        if not last:
            raise UsageError("nothing has been shown yet, so there is no `last`")
        return last[0].message_id
    if not library.get(text):
        raise UsageError(f"there is no message '{text}'; `kindnudge list` shows them all")
    return text


def cmd_add(args: argparse.Namespace) -> int:
    from kindnudge import ownpack

    _config, library = _load(args)
    message = ownpack.add(ownpack.path_for(paths.config_file(args.config)[0]), args.text, args.kind, library)
    print(f"Added {message.id}: {message.text}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from kindnudge import ownpack

    _config, library = _load(args)
    message = ownpack.remove(ownpack.path_for(paths.config_file(args.config)[0]), args.id, library)
    print(f"Removed {message.id}: {message.text}")
    return 0


def _cmd_mark(mark: str, args: argparse.Namespace) -> int:
    from kindnudge.state import State

    _config, library = _load(args)
    message_id = _message_id(args.id, library)
    with State(paths.state_db()) as state, state.transaction():
        current = state.marks().get(message_id)
        state.set_mark(message_id, None if args.undo else mark)
    text = library.get(message_id).text
    if args.undo:
        print(
            f"{message_id} is no longer {mark}: {text}" if current == mark else f"{message_id} was not {mark}"
        )
    else:
        done = "will come more often" if mark == "favourite" else "will not be shown again"
        print(f"{message_id} {done}: {text}")
    return 0


def cmd_favourite(args: argparse.Namespace) -> int:
    return _cmd_mark("favourite", args)


def cmd_hide(args: argparse.Namespace) -> int:
    return _cmd_mark("hidden", args)


def cmd_now(args: argparse.Namespace) -> int:
    import random
    from datetime import datetime, timezone

    from kindnudge.nudge import claim, deliver, draw
    from kindnudge.state import State

    config, library = _load(args)
    kinds = [args.kind] if args.kind else list(config.kinds)
    rng = random.Random()
    with State(paths.state_db()) as state:
        if args.dry_run:
            message = draw(library, kinds, state, rng).message
        else:
            from kindnudge import notify

            notifier = notify.choose(config.backend, config.push_urls, config.push_mode)
            with state.transaction():
                claimed = claim(library, config, kinds, state, datetime.now(timezone.utc), rng)
            delivery = deliver(claimed, config, notifier, state)
            if delivery.error:
                raise delivery.error
            message = delivery.message
    print(f"{config.title_for(message.kind)}\n{message.text}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    _config, library = _load(args)
    messages = [m for m in library.messages if not args.kind or m.kind == args.kind]
    if args.json:
        import json

        print(json.dumps([m._asdict() for m in messages], ensure_ascii=False, indent=2))
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


def cmd_autostart(args: argparse.Namespace) -> int:
    from kindnudge import autostart

    entry = autostart.entry_for(sys.platform, args.systemd, sys.executable, paths.icon_file())
    action = {"enable": autostart.enable, "disable": autostart.disable, "status": autostart.status}[
        args.action
    ]
    print(action(entry))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    path, _required = paths.config_file(args.config)
    if args.action == "path":
        print(path if path.exists() else f"{path} (not created yet; the built-in defaults apply)")
        return 0
    if args.action == "show":
        from kindnudge import configfile, yamlfile

        _load(args)  # refuse to show a config that doesn't work
        data = yamlfile.plain(yamlfile.read(path)) if path.exists() else {}
        print(configfile.render(data or {}, defaults_as_comments=False), end="")
        return 0
    from kindnudge import editing

    return editing.edit(path, lambda: _load(args))


def cmd_setup(args: argparse.Namespace) -> int:
    from kindnudge import autostart, notify, setup
    from kindnudge.notify import Notification

    path = paths.config_file(args.config)[0]
    existing = setup.existing_data(path)
    try:
        if args.yes:
            answers = setup.from_options(
                args.times, args.random, args.between, args.days, args.kinds, args.quiet
            )
        else:
            answers = setup.Conversation(input, print).run()
        draft = setup.Draft(path, setup.merged(existing, answers))
    except (KeyboardInterrupt, EOFError):
        print("\nSetup stopped; nothing was changed.")
        return 130
    config = draft.config
    print("\nYour next 5 nudges:")
    for slot in _plan(config).upcoming(_now(), 5):
        print(f"  {_local(slot.at, config)}  {' or '.join(slot.kinds)}")
    if not args.no_test:
        notifier = notify.choose(config.backend, config.push_urls, config.push_mode)
        body = "This is how your nudges will look. Be gentle with yourself today."
        test = Notification("kindnudge is ready", body, config.timeout, icon=str(paths.icon_file()))
        try:
            notifier.send(test)
            print("\nSent a test notification; it should be on your screen now.")
        except KindnudgeError as exc:
            print(f"\nThe test notification could not be shown: {exc}")
    draft.save()
    print(f"\nSaved your settings to {path}")
    wants_autostart = args.autostart or (
        not args.yes
        and input("Start kindnudge by itself when you log in? [Y/n] ").strip().lower() in ("", "y", "yes")
    )
    if wants_autostart:
        entry = autostart.entry_for(sys.platform, False, sys.executable, paths.icon_file())
        print(autostart.enable(entry))
    print(
        "\nAll set. To start now: kindnudge run"
        + ("  (from your next login it starts by itself)" if wants_autostart else "")
    )
    return 0


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
    add = commands.add_parser(
        "add", help="add a message of your own", description="Add a message of your own to my-messages.yaml."
    )
    add.add_argument("text", metavar="TEXT", help="the message, in quotes; at most 200 characters")
    add.add_argument("--kind", choices=KIND_CHOICES, required=True, help="reframe or self-care")
    add.set_defaults(handler=cmd_add)

    remove = commands.add_parser(
        "remove", help="remove a message you added", description="Remove a message you added with `add`."
    )
    remove.add_argument("id", metavar="ID", help="its id, as `kindnudge list` shows")
    remove.set_defaults(handler=cmd_remove)

    favourite = commands.add_parser(
        "favourite",
        help="see a message more often",
        description="Mark a message as a favourite: it comes more often (content.favourite_weight).",
    )
    hide = commands.add_parser(
        "hide", help="never see a message again", description="Hide a message: it is never shown again."
    )
    for sub, handler in ((favourite, cmd_favourite), (hide, cmd_hide)):
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
    autostart.set_defaults(handler=cmd_autostart)

    config = commands.add_parser(
        "config",
        help="where your config is, what it says, edit it",
        description="path: where the config file is; show: every setting in effect;"
        " edit: open it in $EDITOR.",
    )
    config.add_argument("action", choices=("path", "show", "edit"))
    config.set_defaults(handler=cmd_config)

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
    setup.set_defaults(handler=cmd_setup)
    subcommands = (
        *(now, listing, check, upcoming, run, pause, resume, status, history),
        *(add, remove, favourite, hide, autostart, config, setup),
    )
    for sub in subcommands:
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser
