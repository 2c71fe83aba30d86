"""Commands for setting up: setup, autostart, config."""

from __future__ import annotations

import argparse
import sys

from kindnudge import paths
from kindnudge.commands.common import load, notifier_for, plan, utc_now, whens
from kindnudge.errors import KindnudgeError


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

        load(args)  # refuse to show a config that doesn't work
        data = yamlfile.plain(yamlfile.read(path)) if path.exists() else {}
        print(configfile.render(data or {}, defaults_as_comments=False), end="")
        return 0
    from kindnudge import editing

    return editing.edit(path, lambda: load(args))


def cmd_setup(args: argparse.Namespace) -> int:
    from kindnudge import autostart, setup
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
    slots = plan(config).upcoming(utc_now(), 5)
    for slot, at in zip(slots, whens([s.at for s in slots], config), strict=True):
        print(f"  {at}  {' or '.join(slot.kinds)}")
    if not args.no_test:
        notifier = notifier_for(config)
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
        f"\nAll set. {_how_it_starts()}"
        + ("  (from your next login it starts by itself)" if wants_autostart else "")
    )
    return 0


def _how_it_starts() -> str:
    """A running daemon watches the config, so it needs no restart (which it would refuse)."""
    from kindnudge import instance

    try:
        pid = instance.running_pid(instance.lock_path(paths.state_db()))
    except OSError:  # the settings are saved; this is only advice
        pid = None
    if pid:
        return f"kindnudge is running (pid {pid}) and picked up your new schedule."
    return "To start now: kindnudge run"
