"""Commands for setting up, and for leaving: setup, autostart, config, forget."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from kindnudge import paths
from kindnudge.commands.common import (
    config_or_problem,
    load,
    load_file,
    notifier_for,
    open_state,
    plan,
    utc_now,
    whens,
)
from kindnudge.errors import KindnudgeError, Stopped

if TYPE_CHECKING:
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from kindnudge.config import Config
    from kindnudge.setup import Draft, Offered


def cmd_autostart(args: argparse.Namespace) -> int:
    from kindnudge import autostart

    entry = autostart.entry_for(sys.platform, args.systemd, sys.executable, paths.icon_file())
    action = {"enable": autostart.enable, "disable": autostart.disable, "status": autostart.status}[
        args.action
    ]
    print(action(entry))
    if args.action == "enable":
        _add_app()
    return 0


def _add_app() -> None:
    """List kindnudge among the applications (autostart.app_entry says why);
    `autostart disable` leaves it, as it is about login, not about the app."""
    from kindnudge import autostart

    added = autostart.add_app(autostart.app_entry_for(sys.platform, sys.executable, paths.icon_file()))
    if added:
        print(added)


def cmd_config(args: argparse.Namespace) -> int:
    path, _required = paths.config_file(args.config)
    if args.action == "path":
        print(path if path.exists() else f"{path} (not created yet; the built-in defaults apply)")
        return 0
    if args.action == "show":
        from kindnudge import configfile, yamlfile

        load(args)  # refuse to show a config that doesn't work
        data = yamlfile.plain(yamlfile.read(path)) if path.exists() else {}
        print(configfile.render(data or {}, defaults_as_comments=False), end="")
        return 0
    from kindnudge import editing

    _conversation()
    return editing.edit(path, lambda copy: load_file(copy, True, cache=False), _ask)


def cmd_setup(args: argparse.Namespace) -> int:
    """Every question first, then the writing: stopping at any prompt changes nothing."""
    from kindnudge import setup

    path = paths.config_file(args.config)[0]
    existing = setup.existing_data(path)
    now = setup.offered(existing)
    _offer_journey(now, config_or_problem(args)[0].zone())
    if args.yes:
        given = (args.times, args.random, args.between, args.days, args.kinds, args.quiet)
        answers = setup.from_options(now, *given, args.journey, args.discreet)
        draft = setup.Draft(path, setup.merged(existing, answers))
        _preview(draft.config, args.no_test)
        return _save(draft, args.autostart, answers.journey)
    _conversation()
    try:
        answers = setup.Conversation(_ask, print, now).run()
        draft = setup.Draft(path, setup.merged(existing, answers))
        _preview(draft.config, args.no_test)
        login = "y" if args.autostart else _ask("Start kindnudge by itself when you log in? [Y/n] ")
    except (EOFError, KeyboardInterrupt) as exc:  # _ask ended the unanswered prompt's line
        hint = "" if _at_a_terminal() else "; to set up without questions, use --yes (see --help)"
        interrupted = isinstance(exc, KeyboardInterrupt)
        raise Stopped(f"stopped; nothing was changed{hint}", 130 if interrupted else 1) from None
    return _save(draft, login.strip().lower() in ("", "y", "yes"), answers.journey)


def _preview(config: Config, no_test: bool) -> None:
    from kindnudge.notify import Notification
    from kindnudge.setup import WIZARDS_RULE

    kept = [rule.name for rule in config.schedule if rule.name != WIZARDS_RULE]
    print("\nYour next 5 nudges:")
    slots = plan(config).upcoming(utc_now(), 5)
    for slot, at in zip(slots, whens([s.at for s in slots], config), strict=True):
        print(f"  {at}  {' or '.join(slot.kinds)}" + (f"  ({slot.rule})" if kept else ""))
    if kept:
        print(
            f"\nKept your other rules as they were: {', '.join(kept)}. `kindnudge config edit` changes them."
        )
    from kindnudge.planner import silenced_rules

    for name in silenced_rules(plan(config), utc_now()):  # a kept rule the new quiet hours now cover
        print(f"warning: rule '{name}' always falls inside quiet_hours, so it never shows anything")
    if no_test:
        return
    title, body = "kindnudge is ready", "This is how your nudges will look. Be gentle with yourself today."
    if config.discreet:
        from kindnudge.nudge import DISCREET_TITLE

        title = DISCREET_TITLE
        body = (
            "This is how your nudges will look. Each one has Show for its words;"
            " kindnudge last prints the latest."
        )
    test = Notification(title, body, config.timeout, icon=str(paths.icon_file()), transient=config.discreet)
    try:
        notifier_for(config).send(test)
        print("\nSent a test notification; it should be on your screen now.")
    except KindnudgeError as exc:
        print(f"\nThe test notification could not be shown: {exc}")


def _save(draft: Draft, autostart: bool, journey: str | None) -> int:
    from kindnudge import autostart as login
    from kindnudge.journey import ADVICE

    backup = draft.save()
    print(f"\nSaved your settings to {draft.path}")
    if backup:
        print(f"Your own comments are not in the new file: the file as it was is kept in {backup}")
    if autostart:
        print(login.enable(login.entry_for(sys.platform, False, sys.executable, paths.icon_file())))
    _add_app()
    said = _follow(journey, draft.config) if journey else None
    if said:
        print(said)
    print(f"\n{ADVICE}")
    print(f"\nAll set. {_how_it_starts(autostart, draft.path)}")
    return 0


def _offer_journey(now: Offered, zone: ZoneInfo) -> None:
    """What the journey question offers: the journey as it is now."""
    from kindnudge.commands.common import route, saved_journey
    from kindnudge.journey import local_date

    now.path_days = route().days
    if not paths.state_db().exists():
        return
    with open_state() as state:
        journey = saved_journey(state)
    if journey is None:
        return
    now.path_done = journey.finished(local_date(utc_now(), zone))
    after = {"fewer": "fewer", "stop": "stop"}.get(journey.after or "", "any")
    now.journey = after if now.path_done else "path"


def _follow(answer: str, config: Config) -> str | None:
    """Start, keep, leave or close the journey as answered; what to say of it."""
    from kindnudge import journey as jr
    from kindnudge.commands.common import route, saved_journey

    path = route()
    today = jr.local_date(utc_now(), config.zone())
    with open_state() as state, state.transaction():
        saved = saved_journey(state)
        done = saved is not None and saved.finished(today)
        if answer == "path" and saved and not done:
            day = jr.day_on(saved, path, today)
            return f"Your path goes on: {day.line()}." if day else None
        if answer == "path":
            saved = jr.start(today, path.days)
            state.clear_seen()
            state.set_text(jr.STATE_KEY, jr.to_text(saved))
            day = jr.day_on(saved, path, today)
            return f"Your {path.days}-day path has begun: {day.line()}." if day else None
        if saved is None:
            return None
        if not done:
            state.set_text(jr.STATE_KEY, None)
            return "Left your path: nudges come from all the messages, in any order."
        choice = {"any": "shuffle"}.get(answer, answer)
        state.set_text(jr.STATE_KEY, jr.to_text(jr.choose(saved, choice)))
        return f"After your path: {jr.CHOICES[choice].lower()}."


def _conversation() -> None:
    """Get ready to ask questions. Ctrl+C must stop them however kindnudge was
    started: a shell running it as a background job ignores SIGINT, and Python
    then installs no handler. Bytes that aren't UTF-8 are an answer to ask
    again, not a crash."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")


def _at_a_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


def _ask(prompt: str) -> str:
    """One line typed in answer; EOFError when no more can come (Ctrl+D, stdin closed or at its end)."""
    if sys.stdin is None:
        raise EOFError
    try:
        return input(prompt)
    except KeyboardInterrupt:
        print()  # the prompt's line ends before the reason, if any, is told
        raise
    except (EOFError, OSError):
        print()
        raise EOFError from None


def _how_it_starts(autostart: bool, saved: Path) -> str:
    """A running daemon watches its config, so it needs no restart (which it would refuse);
    one that reads another file does not see this one."""
    from kindnudge import instance

    try:
        holder = instance.running(instance.lock_path(paths.state_db()))
    except (OSError, KindnudgeError):  # the settings are saved; this is only advice
        holder = None
    pid, reads = holder or (None, "")
    running = f"kindnudge is running (pid {pid}) and has picked up your new schedule." if pid else ""
    if pid and reads and os.path.realpath(reads) != os.path.realpath(saved):
        running = f"kindnudge is running (pid {pid}), but it reads {reads}, not this file."
    later = "From your next login it starts by itself." if autostart else ""
    start = "" if pid else "To start it now: kindnudge run"
    return " ".join(part for part in (running, later, start) if part)


def cmd_forget(args: argparse.Namespace) -> int:
    from kindnudge import forget, ownpack

    with open_state() as state:
        hidden = list(state.marks().values()).count("hidden") if args.all else 0
    keep_hidden = False
    if not args.yes:
        _conversation()
        if not _yes(
            "Erase everything kindnudge keeps about you (history, what you have seen, favourites,"
            " hidden messages, any pause, your place on a path, your own messages)? Your config stays. [y/N] "
            if args.all
            else "Erase your kindnudge history and what you have seen? [y/N] "
        ):
            print("Nothing was erased.")
            return 0
        if hidden:  # a line hidden because it hurt must not come back by accident
            keep_hidden = not _yes(
                f"You have {_count(hidden, 'hidden message')}. Without its mark, a hidden message"
                " can come again. Erase those marks too? [y/N] "
            )
    own = ownpack.path_for(paths.config_file(args.config)[0])
    with open_state() as state:
        erased = forget.forget(state, paths.cache_dir(), own, utc_now(), args.all, keep_hidden)
    what = [f"your history ({_count(erased.history, 'entry', 'entries')})", "what you had seen"]
    if args.all:
        what += ["your favourites", *([] if keep_hidden or not hidden else ["hidden messages"]), "any pause"]
        what += ["your path (kindnudge journey start begins a new one)"] if erased.journey else []
        what += ["your own messages"] if erased.own else []
    print(f"Erased {', '.join(what)}, and kindnudge's log and cache.")
    if erased.let_go:
        from kindnudge.holding import wont_come

        print(wont_come(erased.let_go, config_or_problem(args)[0].zone()))
    if not args.all:
        print(
            "Kept your config, own messages, favourites, hidden messages, any pause and any path"
            " (--all erases them)."
        )
    elif keep_hidden:
        print("Kept your config; hidden messages stay hidden.")
    else:
        print(
            "Kept your config."
            + (f" {_count(hidden, 'message')} you had hidden can come again." if hidden else "")
        )
    print(
        "Your desktop may keep its own list of past notifications: the README's"
        ' "Stop and remove" says how to clear it.'
    )
    return 0


def _yes(question: str) -> bool:
    return _ask(question).strip().lower() in ("y", "yes")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
