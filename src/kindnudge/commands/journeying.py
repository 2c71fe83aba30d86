"""`kindnudge journey`: where you are on the path, and starting, moving or leaving it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kindnudge.commands.common import (
    config_for,
    open_state,
    plan,
    route,
    saved_journey,
    utc_now,
)
from kindnudge.errors import UsageError

if TYPE_CHECKING:
    from datetime import date

    from kindnudge.config import Config
    from kindnudge.journey import Journey, Route


def cmd_journey(args: argparse.Namespace) -> int:
    from kindnudge import journey as jr

    config = config_for(args)
    path = route()
    today = jr.local_date(utc_now(), config.zone())
    if args.action in ("start", "restart"):
        return _start(args, path, today)
    with open_state() as state, state.transaction():
        saved = saved_journey(state)
        if args.action == "stop":
            state.set_text(jr.STATE_KEY, None)
        elif args.action == "next":
            if saved is None:
                raise UsageError("you are not on a journey; `kindnudge journey start` begins one")
            if args.choice not in jr.CHOICES:
                raise UsageError(f"say what comes after the path: {' or '.join(jr.CHOICES)}")
            saved = jr.choose(saved, args.choice)
            state.set_text(jr.STATE_KEY, jr.to_text(saved))
    if args.action == "stop":
        print("Stopped your path; nudges come from all the messages, in any order." if saved else
              "You are not on a journey; nudges come from all the messages, in any order.")  # fmt: skip
        return 0
    if args.action == "next":
        print(f"After your path: {jr.CHOICES[args.choice].lower()}.")
        return 0
    if args.json:
        return _json(saved, path, today)
    _show(saved, path, today, config)
    return 0


def _start(args: argparse.Namespace, path: Route, today: date) -> int:
    from kindnudge import journey as jr

    with open_state() as state, state.transaction():
        saved = saved_journey(state)
        if args.action == "restart":
            if saved is None:
                raise UsageError("you are not on a journey; `kindnudge journey start` begins one")
            if args.day is None:
                raise UsageError("say which day to go to, e.g. `kindnudge journey restart --day 3`")
            days, day = saved.days if args.days is None else args.days, args.day
        else:
            days = path.days if args.days is None else args.days
            day = 1 if args.from_day is None else args.from_day
        try:
            started = jr.start(today, days, day)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        state.set_text(jr.STATE_KEY, jr.to_text(started))
        state.clear_seen()  # the path's messages all come again, in order
    line = jr.day_on(started, path, today)
    assert line is not None  # a day within the path, checked by start
    if args.action == "restart":
        print(f"You are on {line.line()}. Each day's nudges come from that day's stage again.")
        return 0
    if saved is not None:  # said, so that a path left behind is never a surprise
        print(f"Your earlier {saved.days}-day path, from {saved.started:%a %d %b}, is replaced by this one.")
    print(f"Your {days}-day path has begun. Today is {line.line()}.")
    print("Each day's nudges come from that day's stage; `kindnudge journey` shows where you are.")
    print(f"\n{jr.ADVICE}")
    return 0


def _json(saved: Journey | None, path: Route, today: date) -> int:
    import json

    from kindnudge.journey import day_on

    day = day_on(saved, path, today) if saved else None
    print(
        json.dumps(
            {
                "day": saved.number(today) if saved else None,
                "days": saved.days if saved else None,
                "stage": day.stage.name if day else None,
                "about": day.stage.about if day else None,
                "started": saved.started.isoformat() if saved else None,
                "finished": saved.finished(today) if saved else None,
                "after": saved.after if saved else None,
            },
            indent=2,
        )
    )
    return 0


def _show(saved: Journey | None, path: Route, today: date, config: Config) -> None:
    from datetime import datetime, time, timedelta

    from kindnudge.journey import CHOICES, day_on, spans
    from kindnudge.planner import resolve

    if saved is None:
        print("You are not on a journey: nudges come from all the messages, in any order.")
        print(
            f"`kindnudge journey start` begins a {path.days}-day path through the article, a stage at a time."
        )
        return
    day = day_on(saved, path, today)
    if day is None:
        end = saved.started + timedelta(days=saved.days - 1)
        print(f"Your {saved.days}-day path ended on {end:%a %-d %b}. What next?")
        for choice, label in CHOICES.items():
            chosen = "  (your choice)" if saved.after == choice else ""
            print(f"  kindnudge journey next {choice:8} {label}{chosen}")
        print("  kindnudge journey start        walk the path again")
        if not saved.after:
            print("Until you choose, they come in any order.")
        return
    print(f"Day {day.number} of {day.days}: {day.stage.about}.")
    zone = config.zone()
    start, end = (resolve(datetime.combine(today + timedelta(days=n), time()), zone) for n in (0, 1))
    now = utc_now()
    left = [s for s in plan(config).between(start, end) if s.at > now]
    times = ", ".join(f"{s.at.astimezone(zone):%H:%M %Z}" for s in left)
    print(f"Still to come today: {times}." if times else "No more nudges today.")
    for stage, first, last in spans(path, saved.days):
        here = ">" if stage == day.stage else " "
        days = f"day {first}" if first == last else f"days {first}-{last}"
        print(f"{here} {days:11} {stage.name:22} {stage.about}")
    after = (
        CHOICES[saved.after].lower()
        if saved.after
        else "not chosen yet (`kindnudge journey next fewer|shuffle|stop`)"
    )
    print(f"After day {saved.days}: {after}.")
