"""Commands about time: next, run, pause, resume, status, history."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kindnudge import paths
from kindnudge.commands.common import (
    config_or_problem,
    entry_json,
    journey_day,
    load,
    moment,
    notifier_for,
    open_state,
    plan,
    route,
    saved_journey,
    upcoming,
    utc_now,
    when,
    whens,
)
from kindnudge.errors import UsageError

# `status` shows a repaired state file for a week: long enough to be noticed.
REPAIR_SHOWN_DAYS = 7

if TYPE_CHECKING:
    from datetime import date, datetime

    from kindnudge.config import Config
    from kindnudge.desktop.attention import Attention
    from kindnudge.journey import Day, Journey
    from kindnudge.state import HistoryEntry


def cmd_next(args: argparse.Namespace) -> int:
    from kindnudge.planner import kind_label

    config, _library = load(args)
    start = utc_now() if args.from_ is None else moment(args.from_, config)
    journey, _today = journey_day(config)
    slots = upcoming(config, start, args.n, journey)
    days = [_day_of(journey, slot.at, config) for slot in slots]
    if args.json:
        import json

        rows = [
            {"at": s.at.isoformat(), "rule": s.rule, "kind": kind_label(s.kinds)}
            | (
                {"day": d.number, "stage": d.stage.name}
                if d
                else {"day": None, "stage": None}
                if journey
                else {}
            )
            for s, d in zip(slots, days, strict=True)
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not slots:
        print(_why_nothing_comes(config, journey, args.from_ is not None))
    width = max((len(s.rule) for s in slots), default=0) if any(days) else 0  # the days line up
    for slot, at, day in zip(slots, whens([s.at for s in slots], config), days, strict=True):
        on_path = f"  day {day.number} of {day.days}: {day.stage.name}" if day else ""
        print(f"{at}  {kind_label(slot.kinds):9}  {slot.rule:{width}}{on_path}".rstrip())
    return 0


def _why_nothing_comes(config: Config, journey: Journey | None, from_given: bool) -> str:
    if journey and journey.after == "stop":
        return "nothing: you chose to stop the nudges after your path; `kindnudge journey` changes that"
    if not config.schedule:
        return "nothing is scheduled; add a rule under schedule: in your config"
    if from_given:
        return "nothing: no rule of yours comes round after that moment"
    return "nothing: every rule of yours falls inside quiet_hours; `kindnudge check` says which"


def _day_of(journey: Journey | None, at: datetime, config: Config) -> Day | None:
    from kindnudge.journey import day_on, local_date

    return day_on(journey, route(), local_date(at, config.zone())) if journey else None


def cmd_run(args: argparse.Namespace) -> int:
    from kindnudge.daemon import Daemon, Loaded
    from kindnudge.logfile import setup_logging
    from kindnudge.notify.session import Session

    session = Session()  # one bus connection for every nudge, and to hear their buttons

    def everything() -> Loaded:
        config, library = load(args)
        notifier = notifier_for(config, session)
        return Loaded(config, library, plan(config), notifier, route(), attention_for(config))

    setup_logging(paths.state_dir() / "kindnudge.log")
    config_file = paths.config_file(args.config)[0]
    return Daemon(everything, paths.state_db(), config_file, utc_now, session=session).run()


def attention_for(config: Config) -> Attention | None:
    """What tells a bad moment for a nudge; None when nothing is ever held."""
    from kindnudge.holding import holds

    if not holds(config.respect, config.push_urls, config.push_mode):
        return None
    from kindnudge.desktop.attention import Attention

    return Attention(config.respect, config.away_after)


_LONGEST_PAUSE_DAYS = 365  # longer is surely a typo; `kindnudge run` can be left off instead


def _pause_end(args: argparse.Namespace, config: Config, now: datetime) -> datetime:
    """When the pause asked for ends. The words may be said as a person says
    them: `pause 2 hours`, `pause for 90 minutes`, `pause 6pm`, `pause until 6pm`."""
    from datetime import timedelta

    from kindnudge.timetext import TooLong, looks_like_a_moment, parse_duration

    words = args.duration
    first = words[0].lower() if words else ""
    if first in ("until", "till") and len(words) > 1:
        return _until(" ".join(words[1:]), config, now)
    if first == "for" and len(words) > 1:
        words = words[1:]
    text = " ".join(words)
    if args.today or text.lower() == "today":
        return _midnight(config, now)
    if args.until is not None:
        return _until(args.until, config, now)
    try:
        span = parse_duration(text, timedelta(days=_LONGEST_PAUSE_DAYS))
    except TooLong as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        if looks_like_a_moment(text):
            return _until(text, config, now)
        raise UsageError(str(exc)) from None
    if not span:
        raise UsageError("a pause of 0 does nothing; give a duration such as 2h, or use `kindnudge resume`")
    return now + span


def _midnight(config: Config, now: datetime) -> datetime:
    from datetime import datetime, time, timedelta

    from kindnudge.planner import resolve

    zone = config.zone()
    return resolve(datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time()), zone)


def _until(text: str, config: Config, now: datetime) -> datetime:
    """The next such time of day ("18:00", "6pm"), or an ISO 8601 moment."""
    from datetime import datetime, timedelta

    from kindnudge.planner import resolve
    from kindnudge.timetext import parse_spoken_time

    zone = config.zone()
    try:
        clock = parse_spoken_time(text)
    except ValueError as exc:
        if not text.strip()[:4].isdigit():  # not a date: say how to write a time of day
            raise UsageError(str(exc)) from None
        end = moment(text, config)
    else:
        today = now.astimezone(zone).date()
        end = resolve(datetime.combine(today, clock), zone)
        end = end if end > now else resolve(datetime.combine(today + timedelta(days=1), clock), zone)
    if end <= now:
        raise UsageError(f"{text} has already passed; give a time in the future")
    if end > now + timedelta(days=_LONGEST_PAUSE_DAYS):
        raise UsageError(f"{text} is more than {_LONGEST_PAUSE_DAYS} days away; pause for at most a year")
    return end


def cmd_pause(args: argparse.Namespace) -> int:
    from kindnudge.state import PAUSED_UNTIL

    config, problem = config_or_problem(args)  # a running daemon keeps its previous schedule: pause it
    now = utc_now()
    end = _pause_end(args, config, now)
    from kindnudge.holding import paused_while, wont_come
    from kindnudge.nudge import end_held

    with open_state() as state, state.transaction():
        state.set_moment(PAUSED_UNTIL, end)
        let_go = end_held(state, now, paused_while)  # now, so a `resume` soon after can't bring it back
    print(f"Paused until {when(end, config)}. `kindnudge resume` starts again sooner.")
    if let_go:
        print(wont_come(max(let_go), config.zone()))
    if problem:
        raise problem
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from kindnudge.state import PAUSED_UNTIL

    with open_state() as state, state.transaction():
        was = state.get_moment(PAUSED_UNTIL)
        state.set_moment(PAUSED_UNTIL, None)
    print("Resumed." if was and was > utc_now() else "Nothing was paused.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """With a broken config it still says all the state file knows: that is
    when someone most needs to know whether the daemon runs."""
    from kindnudge import instance
    from kindnudge.planner import kind_label
    from kindnudge.state import PAUSED_UNTIL

    config, problem = config_or_problem(args, packs=True)
    now = utc_now()
    pid = instance.running_pid(instance.lock_path(paths.state_db()))
    with open_state() as state:
        journey = saved_journey(state)
        paused = state.get_moment(PAUSED_UNTIL)
        paused = paused if paused and paused > now else None
        delivered = state.history(1, "delivered")
        failed = state.history(1, "failed")
        held = state.held()[-1:]
        repair = state.last_repair()
    repair = repair if repair and (now - repair[0]).days < REPAIR_SHOWN_DAYS else None
    following = [] if problem else upcoming(config, max(now, paused or now), 1, journey)
    today = _day_of(journey, now, config) if journey and not problem else None
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
        "last_delivered": entry_json(delivered[0]) if delivered else None,
        "paused_until": paused.isoformat() if paused else None,
        "backend": None if problem else config.backend,
        "last_error": entry_json(failed[0]) if failed else None,
        "journey": {
            "day": journey.number(today_date(now, config)),
            "days": journey.days,
            "stage": today.stage.name if today else None,
            "started": journey.started.isoformat(),
        }
        if journey
        else None,
        "held": _held_json(held[0][1]) if held else None,
        "state_repaired": {"at": repair[0].isoformat(), "note": repair[1]} if repair else None,
        "config_error": str(problem) if problem else None,
    }
    if args.json:
        import json

        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"daemon: running (pid {pid})" if pid else "daemon: not running; start it with `kindnudge run`")
        if problem:
            keeps = "; the running daemon keeps its previous schedule" if pid else ""
            print(f"next: unknown until the problem below is fixed{keeps}")
        elif following:
            slot = following[0]
            print(f"next: {when(slot.at, config, now)} ({slot.rule}, {kind_label(slot.kinds)})")
        else:
            print("next: nothing scheduled")
        if delivered:
            print(f"last delivered: {when(delivered[0].at, config, now)}: {delivered[0].text}")
        else:
            print("last delivered: none yet")
        print(f"paused: until {when(paused, config, now)}" if paused else "paused: no")
        if held:
            entry = held[0][1]
            waited_out = not problem and now - (entry.due or entry.at) > config.hold_for
            print(f"holding {_held_line(entry, config)}" + (_WAITED_OUT if waited_out else ""))
        print(f"backend: {'unknown until the problem below is fixed' if problem else _backend(config)}")
        error = failed[0] if failed else None
        print(
            f"last delivery error: {when(error.at, config, now)}: {error.reason}"
            if error
            else "last delivery error: none"
        )
        print(f"journey: {_journey_line(journey, today)}")
        if repair:
            print(f"state file repaired: {when(repair[0], config, now)}: {repair[1]}")
    if problem:
        raise problem
    return 0


# A held row only a daemon settles: with none running, one can outlive its hold_for.
_WAITED_OUT = "; it has waited as long as attention.hold_for allows, and won't be shown"


def _held_json(entry: HistoryEntry) -> dict:
    """The held nudge in `status --json`."""
    from kindnudge.holding import why_held

    due = entry.due or entry.at
    return {"due": due.isoformat(), "rule": entry.rule, "kind": entry.kind, "why": why_held(entry.reason)}


def _held_line(entry: HistoryEntry, config: Config) -> str:
    """What holds a nudge, as `status` says it, in the schedule's zone:
    the 09:00 reframe (morning): Do Not Disturb is on."""
    from kindnudge.holding import why_held

    due = (entry.due or entry.at).astimezone(config.zone())
    what = "nudge" if entry.kind == "any" else entry.kind
    return f"the {due:%H:%M} {what} ({entry.rule}): {why_held(entry.reason)}"


def today_date(now: datetime, config: Config) -> date:
    from kindnudge.journey import local_date

    return local_date(now, config.zone())


def _journey_line(journey: Journey | None, today: Day | None) -> str:
    if journey is None:
        return "none (`kindnudge journey start` begins a path through the article)"
    if today is None:
        return f"your {journey.days}-day path is complete; `kindnudge journey` says what comes next"
    return today.line()


def _backend(config: Config) -> str:
    """The backend setting, and for `auto` what it tries, without trying it (`check` does)."""
    if config.backend != "auto":
        return config.backend
    from kindnudge.notify import platform_order

    return f"auto ({', then '.join(platform_order())})"


def cmd_history(args: argparse.Namespace) -> int:
    from kindnudge.holding import WAITED, why_held

    config, problem = config_or_problem(args)  # only for the zone: the history is shown anyway
    with open_state() as state:
        entries = state.history(args.n)
    if args.json:
        import json

        print(json.dumps([entry_json(e) for e in entries], indent=2, ensure_ascii=False))
    elif not entries:
        print("no nudges yet")
    else:
        for e, at in zip(entries, whens([e.at for e in entries], config), strict=True):
            said = [
                e.reason or ("being shown" if e.status == "sending" else ""),
                f"[{e.text}]" if e.text else "",
            ]
            detail = e.text if e.status == "delivered" else " ".join(part for part in said if part)
            if e.status == "delivered" and e.reason and e.reason.startswith(WAITED):
                detail = f"{e.text} ({e.reason})"
            elif e.status == "held":  # "held  ...  held: Do Not Disturb is on" says it twice
                detail = why_held(e.reason)
            if e.due and abs((e.at - e.due).total_seconds()) >= 60:  # settled later than it was due
                detail = f"(due {when(e.due, config)}) {detail}"
            print(f"{at}  {e.status:9}  {_rule_of(e):12} {e.kind:9} {detail}")
    if problem:
        raise problem
    return 0


def _rule_of(entry: HistoryEntry) -> str:
    """The rule a nudge came by; one asked for with `now` came by hand, and
    what a button on a nudge did, by button."""
    if entry.rule:
        return entry.rule
    if entry.status in ("kept", "hidden") or (entry.status, entry.reason) == ("delivered", "another"):
        return "by button"
    return "-" if entry.status == "erased" else "by hand"
