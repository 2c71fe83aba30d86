"""Journey mode: a path of days through the article, one stage at a time.

The path itself is data (affirmations/journey.yaml: each stage's share of the
days and what it is about), so 14, 21 or 42 days keep one shape and another
article could bring its own. Where a person is on it is state, like a pause:
the day it started and its length, saved in the state file's meta table.

Pure: dates, moments and messages come in as arguments. The picking itself
stays in picker.py; this module only narrows what it picks from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from kindnudge.errors import ConfigError, Location
from kindnudge.library import _ID, Message, showable
from kindnudge.yamlfile import MarkedDict, MarkedList, check_keys, describe

if TYPE_CHECKING:
    from kindnudge.planner import Plan

FILE = "journey.yaml"  # beside the built-in packs
SHORTEST, LONGEST = 14, 42
STATE_KEY = "journey"  # its key in the state file's meta table

# What may follow the last day; the one-click labels a notification button can carry.
CHOICES = {
    "fewer": "Fewer nudges (one a day)",
    "shuffle": "Keep them coming, in any order",
    "stop": "Stop the nudges",
}

# The article's own advice, in its own terms (What to Do Instead of Chasing Closure).
ADVICE = (
    "If the hurt feels too heavy to carry, the article suggests a therapist or a support group:"
    " a safe space to work through it. Reaching out for that is a brave and good step."
)


class Stage(NamedTuple):
    name: str
    share: int  # its part of the days, relative to the others
    about: str  # "understanding why it happened"


class Route(NamedTuple):
    """The stages in order, and the length a journey has unless told otherwise."""

    stages: tuple[Stage, ...]
    days: int

    def index(self, name: str | None) -> int | None:
        return next((i for i, s in enumerate(self.stages) if s.name == name), None)


class Journey(NamedTuple):
    """One person's journey, as saved."""

    started: date  # day 1, in the schedule's zone
    days: int
    after: str | None = None  # a key of CHOICES, once chosen
    asked: bool = False  # whether the end-of-path question was shown

    def number(self, on: date) -> int:
        """The day `on` is, counted from 1; a clock set back before the start is day 1."""
        return max(1, (on - self.started).days + 1)

    def finished(self, on: date) -> bool:
        return self.number(on) > self.days


class Day(NamedTuple):
    """A day on the path: the one today's nudges come from."""

    number: int
    days: int
    index: int  # of its stage in the route
    route: Route

    @property
    def stage(self) -> Stage:
        return self.route.stages[self.index]

    def line(self) -> str:
        return f"day {self.number} of {self.days}: {self.stage.about}"


# -- the shape of the path -------------------------------------------------------------


def spans(route: Route, days: int) -> list[tuple[Stage, int, int]]:
    """Each stage with its first and last day: days split by share (largest
    remainder), every stage at least one day, in order."""
    total = sum(s.share for s in route.stages)
    exact = [days * s.share / total for s in route.stages]
    whole = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (whole[i] - exact[i], i))
    for i in (by_remainder * days)[: max(0, days - sum(whole))]:
        whole[i] += 1
    while sum(whole) > days:  # minimums took more than their share: trim the longest
        whole[whole.index(max(whole))] -= 1
    result, first = [], 1
    for stage, count in zip(route.stages, whole, strict=True):
        result.append((stage, first, first + count - 1))
        first += count
    return result


def day_on(journey: Journey, route: Route, on: date) -> Day | None:
    """The path's day for a calendar date; None once the path is over."""
    number = journey.number(on)
    if number > journey.days:
        return None
    index = next(i for i, (_s, _first, last) in enumerate(spans(route, journey.days)) if number <= last)
    return Day(number, journey.days, index, route)


def day_at(saved: str | None, route: Route | None, moment: datetime, zone: ZoneInfo) -> Day | None:
    """The day at `moment` of the journey saved in the state (its text under
    STATE_KEY); None off a journey, past its end, or with no path loaded."""
    path = from_text(saved) if route else None
    return day_on(path, route, local_date(moment, zone)) if path and route else None


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """Days follow the calendar in the schedule's zone, DST days included."""
    return moment.astimezone(zone).date()


# -- changing it ----------------------------------------------------------------------------


def start(on: date, days: int, day: int = 1) -> Journey:
    """A journey of `days` days on which `on` is day `day`."""
    if not SHORTEST <= days <= LONGEST:
        raise ValueError(f"a journey is {SHORTEST} to {LONGEST} days long, not {days}")
    if not 1 <= day <= days:
        raise ValueError(f"a {days}-day journey has days 1 to {days}, not {day}")
    return Journey(on - timedelta(days=day - 1), days)


def choose(journey: Journey, choice: str) -> Journey:
    """What comes after the last day. The hook for a notification button too."""
    if choice not in CHOICES:
        raise ValueError(f"choose one of: {', '.join(CHOICES)}")
    return journey._replace(after=choice, asked=True)


def to_text(journey: Journey) -> str:
    return json.dumps({**journey._asdict(), "started": journey.started.isoformat()})


def from_text(text: str | None) -> Journey | None:
    """A saved journey; None if there is none, or what is saved is not one
    (edited by hand or damaged: better no path than a crash at every nudge)."""
    try:
        data = json.loads(text or "")
        journey = Journey(
            date.fromisoformat(data["started"]), int(data["days"]), data.get("after"), bool(data.get("asked"))
        )
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None
    ok = SHORTEST <= journey.days <= LONGEST and journey.after in (None, *CHOICES)
    return journey if ok else None


# -- what a day draws from -------------------------------------------------------------------


def pool(messages: Sequence[Message], day: Day) -> tuple[list[Message], Stage | None]:
    """The messages (of one kind, none hidden) that `day` draws from, and the
    stage they come from. That is the day's stage; if it has none of these,
    the nearest earlier stage that has, else the nearest later one. Messages
    without a stage, or with one not on the path, fit any day."""
    stages = day.route.stages
    by_stage: dict[int, list[Message]] = {}
    anywhere = []
    for m in messages:
        at = day.route.index(m.stage)
        (by_stage.setdefault(at, []) if at is not None else anywhere).append(m)
    if not by_stage:
        return list(messages), None
    earlier = [i for i in by_stage if i <= day.index]
    chosen = max(earlier) if earlier else min(by_stage)
    return by_stage[chosen] + anywhere, stages[chosen]


def gaps(route: Route, messages: Sequence[Message], kinds: Sequence[str]) -> list[str]:
    """What `check` says of stages that lack a kind: where their days draw it from."""
    said = []
    for index, stage in enumerate(route.stages):
        for kind in kinds:
            of_kind = [m for m in messages if m.kind == kind]
            staged = [m for m in of_kind if route.index(m.stage) is not None]
            if not staged or any(m.stage == stage.name for m in staged):
                continue
            source = pool(of_kind, Day(1, 1, index, route))[1]
            said.append(
                f"journey stage '{stage.name}' has no {kind} message; on its days they come from"
                f" '{source.name if source else 'any stage'}'"
            )
    return said


def held_back(journey: Journey | None, on: date, first_of_day: bool) -> str | None:
    """Why a nudge on `on` is not shown, by what was chosen for after the path."""
    if journey is None or not journey.finished(on):
        return None
    if journey.after == "stop":
        return (
            "you chose to stop the nudges after your path; `kindnudge journey next shuffle` brings them back"
        )
    if journey.after == "fewer" and not first_of_day:
        return (
            "after your path you chose fewer nudges, one a day;"
            " `kindnudge journey next shuffle` brings them all back"
        )
    return None


def first_of_day(plan: Plan, moment: datetime) -> bool:
    """Whether `moment` is the plan's first slot of its day (the one `fewer` keeps)."""
    from kindnudge.planner import resolve

    zone = plan.tz
    midnight = resolve(datetime.combine(local_date(moment, zone), time()), zone)
    first = plan.upcoming(midnight - timedelta(microseconds=1), 1)
    return bool(first) and first[0].at == moment


def end_question(journey: Journey, on: date) -> tuple[str, str] | None:
    """The one notice at the end of the path (title, text), if it is due now."""
    if journey.asked or journey.after or journey.number(on) < journey.days:
        return None
    title = "The last day of your path" if journey.number(on) == journey.days else "Your path is complete"
    return (
        title,
        f"You have come all {journey.days} days, one at a time. What next: fewer nudges, all of them"
        " in any order, or none? Type `kindnudge journey` to choose; until then they come in any order.",
    )


# -- the path's data --------------------------------------------------------------------------

_KEYS = ("days", "stages", "title", "source")
_STAGE_KEYS = ("stage", "share", "about")


def load_route(path: Path, cache: Path | None = None) -> Route:
    """The path in `path`, checked like a pack: a mistake names its line and column."""
    from kindnudge import jsoncache, yamlfile

    key = jsoncache.key(path, "journey", 1) if cache else None
    if cache and key:
        rows = jsoncache.get(cache, "journey", key)
        try:
            return Route(tuple(Stage(*s) for s in rows["stages"]), int(rows["days"]))
        except (TypeError, ValueError, KeyError):
            pass  # nothing cached, or not by us
    route = parse_route(yamlfile.read(path), path)
    if cache and key:
        jsoncache.put(cache, "journey", key, {"stages": [list(s) for s in route.stages], "days": route.days})
    return route


def parse_route(data: Any, path: Path) -> Route:
    if not isinstance(data, MarkedDict) or "stages" not in data:
        where = data.where if isinstance(data, (MarkedDict, MarkedList)) else Location(path, 1, 1)
        raise ConfigError("a journey file is a mapping with a 'stages:' list; see the README", where)
    check_keys(data, _KEYS, "journey key")
    items = data["stages"]
    if not isinstance(items, MarkedList) or not items:
        raise ConfigError(f"'stages' must be a list of stages, got {describe(items)}", data.at("stages"))
    stages = tuple(_stage(item, items.at(i)) for i, item in enumerate(items))
    for i, stage in enumerate(stages):
        if stage.name in [s.name for s in stages[:i]]:
            raise ConfigError(f"stage '{stage.name}' comes twice; give each stage its own name", items.at(i))
    if len(stages) > SHORTEST:
        raise ConfigError(f"a path has at most {SHORTEST} stages, one a day on the shortest", items.where)
    days = data.get("days", 21)
    if not (isinstance(days, int) and not isinstance(days, bool) and SHORTEST <= days <= LONGEST):
        raise ConfigError(f"days must be a whole number from {SHORTEST} to {LONGEST}", data.at("days"))
    return Route(stages, days)


def _stage(item: Any, where: Location) -> Stage:
    if not isinstance(item, MarkedDict):
        raise ConfigError(f"each stage is a mapping with stage, share and about, got {describe(item)}", where)
    check_keys(item, _STAGE_KEYS, "stage key")
    for key in _STAGE_KEYS:
        if key not in item:
            raise ConfigError(f"this stage has no '{key}'; add one", item.where)
    name, share = item["stage"], item["share"]
    if not (isinstance(name, str) and _ID.fullmatch(name)):
        raise ConfigError(
            f"{describe(name)} is not a stage name; write one word such as 'first-days'", item.at("stage")
        )
    if not (isinstance(share, int) and not isinstance(share, bool) and 1 <= share <= 100):
        raise ConfigError(
            f"share must be a whole number from 1 to 100, got {describe(share)}", item.at("share")
        )
    return Stage(name, share, showable(item["about"], item.at("about"), "about", 80))
