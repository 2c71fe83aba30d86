"""Journey mode: a path of days through the article, simulated with an injected clock.

The core runs against a real SQLite state file and a pack of our own with
stages; the days are real calendar days in Europe/Berlin, DST changes included.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

import pytest

from kindnudge import journey, paths
from kindnudge.config import load_config
from kindnudge.errors import ConfigError
from kindnudge.library import load_library
from kindnudge.nudge import claim
from kindnudge.planner import Plan
from kindnudge.state import State

from conftest import run

BERLIN = ZoneInfo("Europe/Berlin")
ROUTE = journey.load_route(paths.builtin_packs_dir() / journey.FILE)
NAMES = [s.name for s in ROUTE.stages]


def pack(
    tmp_path: Path, per_stage: dict[str, int], unstaged: int = 0, kinds=("reframe", "self-care")
) -> Path:
    """A pack with `per_stage[stage]` messages of each kind in `kinds` per stage."""
    lines = ["messages:"]
    for stage, count in per_stage.items():
        for kind in kinds:
            for n in range(count):
                lines += [
                    f"  - {{id: {stage}-{kind}-{n}, kind: {kind}, stage: {stage}, text: '{stage} {n}'}}"
                ]
    lines += [f"  - {{id: mine-{n}, kind: reframe, text: 'mine {n}'}}" for n in range(unstaged)]
    path = tmp_path / "journey-pack.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def walk(
    tmp_path: Path, library_path: Path, first: date, days: int, marks: dict[str, str] = (), seed: int = 1
):
    """Every nudge of a path of `days` days from `first`: (day, its stage index, message)."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text(
        "timezone: Europe/Berlin\nquiet_hours: []\nschedule:\n"
        "  - {name: morning, at: '09:00', kind: reframe}\n"
        "  - {name: late, at: '23:30', kind: self-care}\n"  # 22:30 UTC in winter: the UTC date is the same,
        "  - {name: night, at: '00:30', kind: any}\n"  # 23:30 UTC the day before: a local day counts
    )
    config = load_config(config_path, required=True)
    plan = Plan(config.schedule, BERLIN, config.quiet_hours)
    library = load_library([(library_path, False)])
    path = journey.start(first, days)
    rng = Random(seed)
    shown = []
    start = datetime.combine(first, datetime.min.time(), BERLIN) - timedelta(seconds=1)
    end = datetime.combine(first + timedelta(days=days), datetime.min.time(), BERLIN)
    with State(tmp_path / "state.sqlite3") as state:
        for mid, mark in dict(marks).items():
            state.set_mark(mid, mark)
        for slot in plan.between(start, end - timedelta(seconds=1)):
            day = journey.day_on(path, ROUTE, journey.local_date(slot.at, BERLIN))
            with state.transaction():
                claimed = claim(
                    library, config, list(slot.kinds), state, slot.at, rng, slot.rule, slot.at, day
                )
            state.set_moment("x", slot.at)  # any write: the claim is committed
            shown.append((day, claimed.message))
    return shown


def test_the_path_splits_any_length_by_shares_in_order():
    for days in (14, 21, 30, 42):
        spans = journey.spans(ROUTE, days)
        assert [s.name for s, _f, _l in spans] == NAMES
        assert spans[0][1] == 1 and spans[-1][2] == days
        assert all(b[1] == a[2] + 1 for a, b in itertools.pairwise(spans))  # contiguous
        assert all(last >= first for _s, first, last in spans)
    assert [last - first + 1 for _s, first, last in journey.spans(ROUTE, 42)] == [
        2 * (last - first + 1) for _s, first, last in journey.spans(ROUTE, 21)
    ]


def test_21_days_each_day_from_its_stage_in_order_with_no_repeat(tmp_path):
    """Across spring forward (29 March 2026): three nudges every calendar day,
    each from that day's stage, stages in order, no message twice."""
    shown = walk(tmp_path, pack(tmp_path, dict.fromkeys(NAMES, 8)), date(2026, 3, 20), 21)
    assert len(shown) == 21 * 3
    assert [d.number for d, _m in shown] == [n for n in range(1, 22) for _ in range(3)]
    assert all(m.stage == d.stage.name for d, m in shown)
    order = [NAMES.index(m.stage) for _d, m in shown]
    assert order == sorted(order) and set(order) == set(range(len(NAMES)))
    ids = [m.id for _d, m in shown]
    assert len(ids) == len(set(ids))


def test_a_stage_that_runs_out_comes_round_again_never_jumping_ahead(tmp_path):
    """One message of each kind per stage: each stage repeats its own, an own
    message without a stage fits any day, a hidden one never comes."""
    shown = walk(tmp_path, pack(tmp_path, dict.fromkeys(NAMES, 1), unstaged=1), date(2026, 10, 20), 21,
                 {"reframing-reframe-0": "hidden"})  # fmt: skip
    for day, message in shown:
        assert message.stage is None or NAMES.index(message.stage) <= day.index
        if message.stage and message.stage != day.stage.name:  # the hidden one's place: the nearest earlier
            assert (day.stage.name, message.stage) == ("reframing", "caring-for-yourself")
        assert message.id != "reframing-reframe-0"
    reframes = [m.id for d, m in shown if d.stage.name == "caring-for-yourself" and m.kind == "reframe"]
    assert set(reframes) <= {"caring-for-yourself-reframe-0", "mine-0"} and len(reframes) > 2


def test_a_stage_without_a_kind_draws_from_the_nearest_earlier_one_and_check_says_so(tmp_path):
    stages = dict.fromkeys(NAMES, 3)
    library = load_library([(pack(tmp_path, stages, kinds=("reframe",)), False)])
    extra = tmp_path / "care.yaml"
    extra.write_text("messages:\n  - {id: care, kind: self-care, stage: understanding, text: rest}\n")
    library = load_library([(pack(tmp_path, stages, kinds=("reframe",)), False), (extra, False)])
    care = library.of_kind("self-care")
    day = journey.day_on(journey.start(date(2026, 1, 1), 21), ROUTE, date(2026, 1, 15))
    assert journey.pool(care, day) == (care, ROUTE.stages[1])
    first = journey.day_on(journey.start(date(2026, 1, 1), 21), ROUTE, date(2026, 1, 1))
    assert journey.pool(care, first)[1] == ROUTE.stages[1]  # none earlier: the nearest later
    said = journey.gaps(ROUTE, library.messages, ["reframe", "self-care"])
    assert (
        "journey stage 'moving-forward' has no self-care message; on its days they come from 'understanding'"
        in said
    )
    assert not any("understanding' has no" in line for line in said)


def test_days_follow_the_local_calendar_across_both_dst_changes():
    path = journey.start(date(2026, 3, 28), 21)
    # 00:30 in Berlin on 29 March is still 28 March in UTC: it is day 2 all the same
    night = datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)
    assert journey.day_on(path, ROUTE, journey.local_date(night, BERLIN)).number == 2
    autumn = journey.start(date(2026, 10, 24), 14)
    for hour, number in ((0, 2), (23, 2)):  # 25 October has 25 hours: still one day
        at = datetime(2026, 10, 25, hour, 15, tzinfo=BERLIN)
        assert journey.day_on(autumn, ROUTE, journey.local_date(at, BERLIN)).number == number


def test_restart_and_stop_and_the_end():
    path = journey.start(date(2026, 5, 10), 21, day=7)
    assert path.started == date(2026, 5, 4) and path.number(date(2026, 5, 10)) == 7
    back = journey.start(date(2026, 5, 10), 21, day=3)
    assert journey.day_on(back, ROUTE, date(2026, 5, 10)).stage.name == "understanding"
    assert journey.day_on(back, ROUTE, date(2026, 5, 29)) is None  # the path is over
    assert journey.end_question(back, date(2026, 5, 27)) is None
    assert journey.end_question(back, date(2026, 5, 28))[0] == "The last day of your path"
    assert journey.end_question(back._replace(asked=True), date(2026, 5, 28)) is None
    fewer = journey.choose(back, "fewer")
    assert journey.from_text(journey.to_text(fewer)) == fewer
    assert journey.held_back(fewer, date(2026, 5, 28), False) is None  # not over yet
    assert "fewer" in journey.held_back(fewer, date(2026, 5, 29), False)
    assert journey.held_back(fewer, date(2026, 5, 29), True) is None  # the day's first still comes
    assert "stop" in journey.held_back(journey.choose(back, "stop"), date(2026, 6, 29), True)
    with pytest.raises(ValueError, match="14 to 42 days"):
        journey.start(date(2026, 5, 10), 43)
    assert journey.from_text('{"started": "nonsense"}') is None


def test_the_path_file_is_checked_like_a_pack(tmp_path):
    bad = tmp_path / "journey.yaml"
    bad.write_text(
        "stages:\n  - {stage: first-days, share: 2, about: x}\n  - {stage: later, share: lots, about: y}\n"
    )
    with pytest.raises(ConfigError) as caught:
        journey.load_route(bad)
    assert str(caught.value).startswith(f"{bad}:3:") and "share must be a whole number" in str(caught.value)


# -- through the installed command -----------------------------------------------------------


def test_journey_through_the_command_day_by_day(fake_clock, config_file, tmp_path):
    config_file.write_text("timezone: Europe/Berlin\n")
    started = run("journey", "start", "--days", "14", env=fake_clock.env)
    assert started.returncode == 0
    assert (
        "Your 14-day path has begun. Today is day 1 of 14: getting through the first days." in started.stdout
    )
    assert "therapist or a support group" in started.stdout
    assert "earlier" not in started.stdout
    again = run("journey", "start", "--days", "14", env=fake_clock.env).stdout
    assert again.startswith("Your earlier 14-day path, from ")
    assert again.splitlines()[0].endswith(", is replaced by this one.")
    fake_clock.set(3 * 86400)
    today = json.loads(run("journey", "--json", env=fake_clock.env).stdout)
    assert (today["day"], today["days"], today["stage"]) == (4, 14, "not-your-fault")  # days 1, 2-3, 4-5, ...
    assert (
        "journey: day 4 of 14: seeing that it was not all your fault"
        in run("status", env=fake_clock.env).stdout
    )
    upcoming = json.loads(run("next", "--json", "-n", "2", env=fake_clock.env).stdout)
    assert {u["day"] for u in upcoming} <= {4, 5}
    assert run("journey", "restart", "--day", "2", env=fake_clock.env).stdout.startswith(
        "You are on day 2 of 14"
    )
    assert json.loads(run("journey", "--json", env=fake_clock.env).stdout)["day"] == 2
    fake_clock.set(20 * 86400)  # past the end
    shown = run("journey", env=fake_clock.env).stdout
    assert "path ended on" in shown and "kindnudge journey next fewer" in shown
    assert run("journey", "next", "stop", env=fake_clock.env).returncode == 0
    assert "you chose to stop the nudges" in run("next", env=fake_clock.env).stdout
    assert run("journey", "stop").stdout.startswith("Stopped your path")
    assert json.loads(run("journey", "--json").stdout)["day"] is None


def test_now_dry_run_now_and_list_follow_the_stage(config_file, tmp_path):
    own = pack(tmp_path, {"first-days": 1, "moving-forward": 1}, kinds=("reframe",))
    config_file.write_text(f"content:\n  packs: [{own}]\nnotification:\n  backend: console\n")
    assert run("journey", "start").returncode == 0
    stage_of = {m["text"]: m["stage"] for m in json.loads(run("list", "--json").stdout)}
    for _ in range(3):
        _title, text, path = run("now", "--dry-run", "--kind", "reframe").stdout.splitlines()
        assert stage_of[text] in ("first-days", None) and text != "moving-forward 0"
        assert path == "(from your path: day 1 of 21: getting through the first days)"
    for _ in range(4):  # shown for real: 11 of the 47 reframes are for day 1
        assert run("now", "--kind", "reframe").returncode == 0
    with State(paths.state_db()) as state:
        shown = [e.text for e in state.history(10)]
    assert len(shown) == 4 and all(stage_of[text] == "first-days" for text in shown), shown
    listing = run("list").stdout.splitlines()
    first = listing.index("-- stage 1: first-days (getting through the first days)")
    last = listing.index("-- stage 7: moving-forward (moving forward)")
    row = {line.split()[0]: n for n, line in enumerate(listing)}
    second = listing.index("-- stage 2: understanding (understanding why it happened)")
    assert first < row["first-days-reframe-0"] < second and last < row["moving-forward-reframe-0"]
    assert (
        run("journey", "start", "--days", "9").stderr == "kindnudge: a journey is 14 to 42 days long, not 9\n"
    )


class Screen:
    name = "dbus"

    def __init__(self) -> None:
        self.shown = []

    def send(self, notification):
        self.shown.append(notification)


def test_the_daemon_asks_once_on_the_last_day_then_keeps_to_the_answer(tmp_path):
    """Through the firing itself: the last day's nudge, then the question, once;
    after `fewer`, a day's second slot is skipped with the reason, one row each."""
    from kindnudge.firing import Firing, Loaded
    from kindnudge.library import load_all
    from kindnudge.notify import Chain
    from kindnudge.state import HANDLED_UNTIL

    config_path = tmp_path / "config.yaml"
    config_path.write_text("timezone: Europe/Berlin\n")  # 09:00 reframe, 20:00 self-care
    config = load_config(config_path, required=True)
    plan = Plan(config.schedule, BERLIN, config.quiet_hours)
    screen, told = Screen(), []
    loaded = Loaded(config, load_all(paths.builtin_packs_dir(), []), plan, Chain([screen]), ROUTE)
    state_path = tmp_path / "state.sqlite3"
    last_day = datetime(2026, 6, 14, tzinfo=BERLIN)
    with State(state_path) as state, state.transaction():
        state.set_text(journey.STATE_KEY, journey.to_text(journey.start(last_day.date(), 14, day=14)))
        state.set_moment(HANDLED_UNTIL, last_day)
    firing = Firing(state_path, Random(3), lambda title, text: told.append(title), str)
    for hours in (9, 20):
        firing.settle(loaded, last_day + timedelta(hours=hours, seconds=1), lambda *_: [])
    assert told == ["The last day of your path"]
    assert [
        n.body in {m.text for m in loaded.library.messages if m.stage == "moving-forward"}
        for n in screen.shown
    ] == [
        True,
        True,
    ]
    with State(state_path) as state, state.transaction():
        path = journey.from_text(state.get_text(journey.STATE_KEY))
        state.set_text(journey.STATE_KEY, journey.to_text(journey.choose(path, "fewer")))
    for hours in (24 + 9, 24 + 20):
        firing.settle(loaded, last_day + timedelta(hours=hours, seconds=1), lambda *_: [])
    with State(state_path) as state:
        latest = state.history(2)
    assert [e.status for e in latest] == ["skipped", "delivered"]
    assert latest[0].reason.startswith("after your path you chose fewer nudges, one a day")
    assert told == ["The last day of your path"] and len(screen.shown) == 3


def test_the_readme_s_stage_table_follows_the_path_and_quotes_its_messages():
    """Each row: a stage in the path's order, its days of 21, and a message of that stage."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    row = re.compile(r"\| `[a-z-]+` \| \d+-\d+ \|")
    rows = [line.split(" | ") for line in readme.splitlines() if row.match(line)]
    listed = json.loads(run("list", "--json").stdout)
    stage_of = {m["text"]: m["stage"] for m in listed}
    assert [row[0].strip("| `") for row in rows] == [
        "first-days", "understanding", "not-your-fault", "the-urge-to-reach-out",
        "caring-for-yourself", "reframing", "moving-forward",
    ]  # fmt: skip
    for row in rows:
        quoted = row[3].rstrip(" |").strip('"')
        assert stage_of.get(quoted) == row[0].strip("| `"), quoted


@pytest.mark.parametrize("days", ["1e400", "-1e400", '"x"', "1000000", "null"])
def test_a_damaged_journey_in_the_state_is_no_journey_not_a_crash(config_file, days):
    import sqlite3

    assert run("journey", "start").returncode == 0
    with sqlite3.connect(paths.state_db()) as db:
        saved = f'{{"started":"2026-11-28","days":{days}}}'
        db.execute("UPDATE meta SET value = ? WHERE key = 'journey'", (saved,))
    for command in (["journey"], ["status"], ["next"], ["now", "--dry-run"], ["journey", "stop"]):
        result = run(*command)
        assert result.returncode == 0 and result.stderr == "", (command, result.stderr)
    assert json.loads(run("journey", "--json").stdout)["day"] is None
    assert run("journey", "start").returncode == 0


@pytest.mark.parametrize("args", [["--days", "0"], ["--from-day", "0"]])
def test_zero_days_or_day_zero_is_refused(config_file, args):
    result = run("journey", "start", *args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


def test_next_lines_up_the_path_s_days_whatever_the_rules_are_called(config_file):
    config_file.write_text(
        "timezone: UTC\nquiet_hours: []\nschedule:\n"
        "  - {name: a, at: '09:00'}\n  - {name: weekend care, at: '20:00'}\n"
    )
    assert run("journey", "start").returncode == 0
    lines = run("next", "-n", "4").stdout.splitlines()
    assert len(lines) == 4 and len({line.index("  day ") for line in lines}) == 1, lines
