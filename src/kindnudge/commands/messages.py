"""Commands about the messages: now, list, check, add, remove, favourite, hide."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from kindnudge import paths
from kindnudge.commands.common import (
    load,
    notifier_for,
    open_state,
    plan,
    resolve_id,
    route,
    saved_journey,
    user_packs,
    utc_now,
    when,
)
from kindnudge.errors import DeliveryError, KindnudgeError

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from kindnudge.config import Config
    from kindnudge.journey import Day
    from kindnudge.library import Library
    from kindnudge.state import State


def cmd_now(args: argparse.Namespace) -> int:
    """Handed to the running daemon when it reads the same config: only the
    process that sent a notification receives its buttons. Shown here only
    when no daemon answers."""
    import random

    from kindnudge import channel
    from kindnudge.nudge import by_hand

    asked = channel.ask_now(str(paths.config_file(args.config)[0].absolute()), args.kind, args.dry_run)
    if asked is not None and "declined" not in asked:
        return channel.report(asked)
    config, library = load(args)
    kinds = [args.kind] if args.kind else list(config.kinds)
    notifier = None if args.dry_run else notifier_for(config)

    def paused(until: datetime) -> None:
        print(f"Paused until {when(until, config, now)}; showing one anyway because you asked.", flush=True)

    with open_state() as state:
        now = utc_now()
        day = _journey_day(state, config)
        done = by_hand(library, config, kinds, state, notifier, now, random.Random(), paused, day)
    if done.error:
        raise done.error
    if notifier is not None:  # asked once it is shown: a desktop that hangs costs no second wait
        _would_hold(config)
    if done.let_go:
        from kindnudge.holding import wont_come

        print(wont_come(done.let_go, config.zone()), flush=True)
    print(f"{config.title_for(done.message.kind)}\n{done.message.text}")
    if day and args.dry_run:
        print(f"(from your path: {day.line()})")
    if notifier is not None and config.backend != "console" and config.buttons:
        why = f"the running kindnudge {asked['declined']}" if asked else _not_asked()
        print(
            f"Shown without buttons, as {why}; while `kindnudge run` runs, `now` asks it,"
            " and the nudge comes with ♥ Keep, Hide and Another.",
            file=sys.stderr,
        )
    return 0


def _would_hold(config: Config) -> None:
    """`now` shows one whatever the moment (you asked), but says what would have held it."""
    from kindnudge.commands.timing import attention_for

    attention = attention_for(config)
    moment = attention.busy() if attention else None
    if moment:
        from kindnudge.holding import shown_anyway

        print(shown_anyway(moment.why, moment.source), flush=True)


def _not_asked() -> str:
    """Why no daemon took `now`: none runs, or one runs that can't be reached."""
    from kindnudge import channel, instance

    pid = instance.running_pid(instance.lock_path(paths.state_db()))
    if pid is None:
        return "kindnudge is not running"
    return f"the running kindnudge (pid {pid}) could not be reached at {channel.socket_path()} (restart it)"


def _journey_day(state: State, config: Config) -> Day | None:
    """Today's day on the journey, if on one: `now` draws from its stage too."""
    from kindnudge.journey import day_on, local_date

    journey = saved_journey(state)
    return day_on(journey, route(), local_date(utc_now(), config.zone())) if journey else None


def cmd_last(args: argparse.Namespace) -> int:
    """The nudge shown most recently, so that one seen in passing can be read
    again (and `favourite last`, `hide last` name it)."""
    from kindnudge.commands.common import config_or_problem

    config, problem = config_or_problem(args)  # the title: a broken config still shows it
    last = []
    if paths.state_db().exists():  # asking creates no state of its own
        with open_state() as state:
            last = state.history(1, "delivered")
    found = last[0] if last else None
    title = config.title_for(found.kind) if found else None
    if args.json:
        import json

        fields = found and {
            "at": found.at.isoformat(),
            "title": title,
            "text": found.text,
            "id": found.message_id,
            "kind": found.kind,
        }
        print(json.dumps(fields, ensure_ascii=False, indent=2))
    elif not found:
        print("nothing has been shown yet")
    else:
        print(f"{when(found.at, config)}  {title}\n{found.text}\n(id {found.message_id})")
    if problem:
        raise problem
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Every message with its mark, so a hidden one can be found and brought back.
    A hidden line's text is left out of the full list: it was hidden so as not
    to be read again. `--hidden` shows it, and marks whose message is gone."""
    _config, library = load(args)
    marks: dict[str, str] = {}
    if paths.state_db().exists():  # listing creates no state of its own
        with open_state() as state:
            marks = state.marks()
    only = "hidden" if args.hidden else "favourite" if args.favourites else None
    rows = [
        {**m._asdict(), "mark": marks.get(m.id)}
        for m in library.messages
        if (not args.kind or m.kind == args.kind) and (not only or marks.get(m.id) == only)
    ]
    if only and not args.kind:  # a mark outlives its message (removed, or its pack dropped)
        present = {m.id for m in library.messages}
        rows += [
            {"id": i, "kind": None, "text": None, "section": None, "pack": None, "stage": None, "mark": mark}
            for i, mark in sorted(marks.items())
            if mark == only and i not in present
        ]
    if args.json:
        import json

        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if only and not rows:
        print("you have not hidden any message" if only == "hidden" else "no favourites yet")
        return 0
    width = max((len(row["id"]) for row in rows), default=2)  # an id is at most 64 characters
    print(f"{'ID':{width}} {'KIND':9} {'MARK':9} TEXT")
    for heading, group in _by_stage(rows) if not only else [(None, rows)]:
        if heading:
            print(heading)
        for row in group:
            text = row["text"] or "(no longer among your messages)"
            if row["mark"] == "hidden" and not only:
                text = "(its text is not shown: `kindnudge list --hidden` shows it)"
            print(f"{row['id']:{width}} {row['kind'] or '-':9} {row['mark'] or '':9} {text}")
    return 0


def _by_stage(rows: list[dict]) -> list[tuple[str | None, list[dict]]]:
    """Rows under a heading per journey stage, in the path's order: a STAGE
    column would be as wide as its longest name and push the text off the
    screen. Without any stage, one group and no heading, as before."""
    if not any(row["stage"] for row in rows):
        return [(None, rows)]
    stages = route().stages
    groups = [(f"-- stage {i}: {s.name} ({s.about})", [r for r in rows if r["stage"] == s.name])
              for i, s in enumerate(stages, 1)]  # fmt: skip
    known = {s.name for s in stages}
    other = [r for r in rows if r["stage"] and r["stage"] not in known]
    anywhere = [r for r in rows if not r["stage"]]
    groups += [("-- other stages (not on the path, so any day)", other), ("-- any stage", anywhere)]
    return [(heading, group) for heading, group in groups if group]


def cmd_check(args: argparse.Namespace) -> int:
    from kindnudge.library import KINDS
    from kindnudge.nudge import rule_kinds, why_never, why_nothing
    from kindnudge.planner import silenced_rules
    from kindnudge.state import State

    config, library = load(args)
    for name in silenced_rules(plan(config), utc_now()):
        print(f"warning: rule '{name}' always falls inside quiet_hours, so it never shows anything")
    marks: dict[str, str] = {}
    if paths.state_db().exists():  # check creates no state of its own
        with State(paths.state_db()) as state:
            marks = state.marks()
    for rule in config.schedule:
        if not set(rule.kinds) & set(config.kinds):
            asked = " and ".join(rule.kinds)
            print(
                f"warning: rule '{rule.name}' asks for {asked}, which content.kinds leaves out,"
                f" so it shows {asked} anyway; add {asked} to content.kinds, or change the rule's kind"
            )
        why = why_nothing(library, rule_kinds(rule.kinds, config), marks)
        if why:
            print(f"warning: rule '{rule.name}' has nothing left to show: {why}")
    yours = {path.stem for path, _ in user_packs(paths.config_file(args.config)[0], config)}
    for kind in KINDS:
        own = [m for m in library.of_kind(kind) if m.pack in yours and marks.get(m.id) != "hidden"]
        never = why_never(kind, config, f"your own {kind} {'message' if len(own) == 1 else 'messages'}")
        if own and never:
            print(f"warning: {never}")
    for line in _journey_warnings(library, config):
        print(f"warning: {line}")
    source = config.source or f"built-in defaults (no file at {paths.config_file(args.config)[0]})"
    counts = ", ".join(f"{len(library.of_kind(k))} {k}" for k in KINDS)
    print(f"config: {source}: ok")
    print(f"messages: {counts}")
    for line in _attention_lines(config):
        print(f"attention: {line}")
    notifier = notifier_for(config)
    try:
        print(f"backend: {notifier.describe()}")
    except KindnudgeError as exc:  # the status `now` would end with: the machine, not a file
        raise DeliveryError(
            f"backend {config.backend}: nothing can show a notification right now: {exc}"
        ) from None
    return 0


_SPOKEN = {  # attention.respect's names, as a person says them
    "do-not-disturb": "Do Not Disturb",
    "fullscreen": "a fullscreen window",
    "locked": "a locked screen",
    "away": "your being away",
}


def _attention_lines(config: Config) -> list[str]:
    """Which bad moments this desktop can tell, and what each says now."""
    from kindnudge.commands.timing import attention_for

    attention = attention_for(config)
    if attention is None:
        return [
            "off: nudges are never held (push.mode is instead)"
            if config.respect
            else "off: nudges are never held (attention.respect is [])"
        ]
    offers = attention.offered()
    lines = [
        f"{o.source}: {o.how}, {'a bad moment now: ' + o.busy if o.busy else 'a good moment now'}"
        for o in offers
    ]
    missing = [source for source in config.respect if source not in {o.source for o in offers}]
    if missing:
        said = ", ".join(_SPOKEN.get(source, source) for source in missing)
        lines.append(f"this desktop can't tell kindnudge of {said}, so nudges come as usual then")
    return lines


def _journey_warnings(library: Library, config: Config) -> list[str]:
    """Stages whose packs lack a kind (their days draw it from another stage),
    and stages no path knows (those messages fit any day). What you hid is
    your choice, not a gap to warn of."""
    from kindnudge.journey import gaps

    path = route()
    known = {s.name for s in path.stages}
    odd = [
        f"message '{m.id}' ({m.pack}) has stage '{m.stage}', which is not on the journey's path"
        f" ({', '.join(known)}); on a journey it may come on any day"
        for m in library.messages
        if m.stage and m.stage not in known
    ]
    return gaps(path, library.messages, config.kinds) + odd


def cmd_add(args: argparse.Namespace) -> int:
    from kindnudge import ownpack
    from kindnudge.nudge import why_never

    config, library = load(args)
    text = " ".join(args.text)  # the words of a message typed without quotes
    message, backup = ownpack.add(
        ownpack.path_for(paths.config_file(args.config)[0]), text, args.kind, library
    )
    _rewritten(backup)
    print(f"Added {message.id}: {message.text}")
    never = why_never(message.kind, config, "this one")
    if never:
        print(f"note: {never}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from kindnudge import ownpack

    _config, library = load(args)
    message, backup = ownpack.remove(ownpack.path_for(paths.config_file(args.config)[0]), args.id, library)
    _rewritten(backup)
    print(f"Removed {message.id}: {message.text}")
    return 0


def _rewritten(backup: Path | None) -> None:
    if backup:
        print(
            f"kindnudge: note: {backup.stem} is laid out in a way kindnudge can't edit in place,"
            f" so it was written afresh without its comments; the old one is kept as {backup}",
            file=sys.stderr,
        )


def _cmd_mark(mark: str, args: argparse.Namespace) -> int:
    _config, library = load(args)
    with open_state() as state, state.transaction():
        message_id = resolve_id(args.id, library, state, marked=args.undo)
        current = state.marks().get(message_id)
        if not args.undo or current == mark:
            state.set_mark(message_id, None if args.undo else mark)
    message = library.get(message_id)
    text = message.text if message else "(no longer among your messages)"
    called = "a favourite" if mark == "favourite" else mark
    if args.undo:
        print(
            f"{message_id} is no longer {called}: {text}"
            if current == mark
            else f"{message_id} was not {called}"
        )
        return 0
    if mark == "favourite":
        print(f"{message_id} will come more often: {text}")
    else:  # its words are not shown again here either: it was hidden because it hurt
        print(f"{message_id} will not be shown again.")
    if current and current != mark:  # a message has one mark: the new one took the old one's place
        print(_REPLACED[current])
    return 0


_REPLACED = {
    "favourite": "It was a favourite; it no longer is.",
    "hidden": "It was hidden; now it can be shown again.",
}


def cmd_favourite(args: argparse.Namespace) -> int:
    return _cmd_mark("favourite", args)


def cmd_hide(args: argparse.Namespace) -> int:
    return _cmd_mark("hidden", args)
