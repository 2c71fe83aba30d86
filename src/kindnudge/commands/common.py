"""What the commands share: loading config and packs, planning, and showing times."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kindnudge import paths
from kindnudge.errors import KindnudgeError, UsageError

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from kindnudge.config import Config
    from kindnudge.errors import Location
    from kindnudge.journey import Day, Journey, Route
    from kindnudge.library import Library
    from kindnudge.notify import Alongside, Chain, Notifier
    from kindnudge.planner import Plan, Slot
    from kindnudge.state import HistoryEntry, State

# How long a command waits for another program holding the state before saying so.
STATE_WAIT_S = 3.0


def config_for(args: argparse.Namespace) -> Config:
    from kindnudge.config import load_config

    return load_config(*paths.config_file(args.config), paths.cache_dir())


def load(args: argparse.Namespace) -> tuple[Config, Library]:
    return load_file(*paths.config_file(args.config))


def load_file(path: Path, required: bool, cache: bool = True) -> tuple[Config, Library]:
    """The config at `path` and every pack it names, checked. `cache=False` for
    a file that is not the config itself (`config edit`'s working copy)."""
    from kindnudge.config import load_config
    from kindnudge.library import load_all

    config = load_config(path, required, paths.cache_dir() if cache else None)
    return config, load_all(paths.builtin_packs_dir(), user_packs(path, config), paths.cache_dir())


def user_packs(config_file: Path, config: Config) -> list[tuple[Path, Location]]:
    """The user's own packs: those in content.packs, and my-messages.yaml
    beside the config once `add` has written it."""
    from kindnudge import ownpack, yamlfile
    from kindnudge.errors import Location

    packs = [(ref.path, ref.where) for ref in config.packs]
    own = ownpack.path_for(config_file)
    if yamlfile.exists(own) and own not in [p for p, _ in packs]:
        packs.append((own, Location(own)))
    return packs


def config_or_problem(args: argparse.Namespace, packs: bool = False) -> tuple[Config, KindnudgeError | None]:
    """The config (and, with `packs`, checks the packs too); or, when either is
    wrong, the built-in defaults and the problem. For the commands that report
    what is saved: a broken file must not hide whether the daemon runs, or the
    history. They say the problem last, which also sets their exit status."""
    from kindnudge.config import built_in

    try:
        return (load(args)[0] if packs else config_for(args)), None
    except KindnudgeError as exc:
        return built_in(paths.config_file(args.config)[0]), exc


def notifier_for(config: Config, dbus: Notifier | None = None) -> Chain | Alongside:
    """The desktop backends (and push, if set) that this config asks for;
    `dbus`: the daemon's long-lived connection, for the dbus backend."""
    from kindnudge import notify

    return notify.choose(config.backend, config.push_urls, config.push_mode, dbus)


@contextmanager
def open_state() -> Iterator[State]:
    """The state file for one command. If it had to be repaired, the command
    says so on stderr, once, after doing its work."""
    from kindnudge.state import State

    with State(paths.state_db(), STATE_WAIT_S) as state:
        yield state
        note = state.untold_repair()
    if note:
        print(f"kindnudge: {note}", file=sys.stderr)


def resolve_id(text: str, library: Library, state: State, marked: bool = False) -> str:
    """An id as typed, or `last` for the message shown most recently. It must
    still be among the messages, unless `marked` and it carries a mark: a
    hidden mark must stay removable after its message was dropped."""
    if text == "last":
        last = state.history(1, "delivered")
        if not last:
            raise UsageError("nothing has been shown yet, so there is no `last`")
        text = last[0].message_id
        gone = f"the message shown last, '{text}', is gone from your messages (removed, or its pack dropped)"
    else:
        gone = f"there is no message '{text}'; `kindnudge list` shows them all"
    if not library.get(text) and not (marked and text in state.marks()):
        raise UsageError(gone)
    return text


def route() -> Route:
    """The journey's path, as the built-in journey.yaml lays it out."""
    from kindnudge.journey import FILE, load_route

    return load_route(paths.builtin_packs_dir() / FILE, paths.cache_dir())


def saved_journey(state: State) -> Journey | None:
    from kindnudge.journey import STATE_KEY, from_text

    return from_text(state.get_text(STATE_KEY))


def journey_day(config: Config, at: datetime | None = None) -> tuple[Journey | None, Day | None]:
    """The saved journey, if any, and its day at `at` (default: now); reads
    the state file only if there is one, and the path only on a journey."""
    from kindnudge.journey import day_on, local_date

    if not paths.state_db().exists():
        return None, None
    with open_state() as state:
        journey = saved_journey(state)
    if journey is None:
        return None, None
    return journey, day_on(journey, route(), local_date(at or utc_now(), config.zone()))


def upcoming(config: Config, start: datetime, count: int, journey: Journey | None) -> list[Slot]:
    """The next `count` slots the daemon will show, leaving out those a finished
    journey holds back (`fewer`: the day's first only; `stop`: none)."""
    from kindnudge.journey import first_of_day, held_back, local_date

    schedule = plan(config)
    if journey is None or journey.after not in ("fewer", "stop"):
        return schedule.upcoming(start, count)
    slots: list[Slot] = []
    for slot in schedule.after(start):
        on = local_date(slot.at, schedule.tz)
        if journey.after == "stop" and journey.finished(on):
            break
        if not held_back(journey, on, first_of_day(schedule, slot.at)):
            slots.append(slot)
        if len(slots) >= count:
            break
    return slots


def plan(config: Config) -> Plan:
    from kindnudge.planner import Plan

    return Plan(config.schedule, config.zone(), config.quiet_hours)


def moment(text: str, config: Config) -> datetime:
    """An ISO 8601 moment; without an offset it is read in the schedule's zone.
    Only in the years that plans cover: beyond, the calendar overflows."""
    from datetime import datetime

    from kindnudge.planner import FIRST_YEAR, LAST_YEAR

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not an ISO 8601 time; write e.g. 2026-12-24T08:00 or 2026-12-24T08:00+01:00"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise UsageError(f"'{text}' is out of range; give a moment in the years {FIRST_YEAR} to {LAST_YEAR}")
    return moment if moment.tzinfo else moment.replace(tzinfo=config.zone())


def utc_now() -> datetime:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def when(moment: datetime, config: Config, now: datetime | None = None) -> str:
    """A moment as a person says it, in the schedule's zone (timetext.when)."""
    from kindnudge import timetext

    return timetext.when(moment, config.zone(), now or utc_now())


def whens(moments: list[datetime], config: Config) -> list[str]:
    """`when` for a column of moments, padded to one width so the next column lines up."""
    now = utc_now()
    texts = [when(m, config, now) for m in moments]
    width = max(map(len, texts), default=0)
    return [text.ljust(width) for text in texts]


def entry_json(entry: HistoryEntry) -> dict:
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
