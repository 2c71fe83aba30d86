"""`kindnudge setup`: a short, kind conversation instead of editing YAML.

Each answer is checked on the spot by the same parsers as config.yaml and
asked again, with help, when it can't be used. Re-running it changes only
what it asks about (schedule, kinds, quiet hours) and keeps everything else;
each question offers the answer now in effect, so Enter keeps it. The same
answers can be given as options, for a non-interactive setup.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kindnudge import configfile, yamlfile
from kindnudge.config import load_config
from kindnudge.errors import ConfigError, Location, UsageError, machine_error
from kindnudge.paths import real_file, replace_atomically
from kindnudge.schedule import DAY_NAMES, day_number, name_key, parse_kinds, parse_rule
from kindnudge.timetext import parse_spoken_time
from kindnudge.yamlfile import plain

WIZARD = Location("(your answer)")


@dataclass
class Offered:
    """The answer text each question offers in [brackets]: the config's current
    one (see `offered`), or the built-in one for a first run."""

    mode: str = "fixed"
    times: str = "09:00, 20:00"
    count: str = "3"
    between: str = "10:00-21:00"
    days: str = "daily"
    kinds: str = "both"
    quiet: str = "22:00-07:00"
    journey: str = "any"  # path (on one), any, or after a finished path: fewer or stop too
    path_done: bool = False  # a path is complete: the question asks what comes next
    path_days: int = 21
    discreet: str = "no"  # yes: notification.discreet is on


@dataclass
class Answers:
    times: list[str] | None = None  # fixed times, or
    random: int | None = None  # N a day at random
    between: list[str] | None = None
    days: str = "daily"
    kinds: list[str] | None = None
    quiet: list[str] | None = None  # [] for none
    journey: str | None = None  # path, any, fewer or stop (see Offered.journey); None: as it is
    discreet: bool | None = None  # notification.discreet; None: as it is


def split_list(text: str) -> list[str]:
    """Items separated by commas, semicolons, "and" or "&"."""
    return [part.strip() for part in re.split(r"[,;&]|\band\b", text) if part.strip()]


def split_times(text: str) -> list[str]:
    """Times as typed, written the one way config.yaml reads them: "8:30am, 9 pm"
    and "8.30 21:00" both give ["08:30", "21:00"]."""
    glued = re.sub(r"([0-9])\s+([ap]\.?\s*m\b\.?)", r"\1\2", text, flags=re.IGNORECASE)  # "9 pm"
    words = [w for part in split_list(glued) for w in part.split()]
    if not words:
        raise ValueError("give at least one time, e.g. 09:00")
    return sorted({f"{parse_spoken_time(w):%H:%M}" for w in words})


def split_span(text: str) -> list[str]:
    """Two times with a dash (or "to") between them, written as "HH:MM"."""
    words = re.sub(r"\b(?:to|until|till)\b|\u2013|\u2014", "-", text.strip().lower()).removeprefix("from ")
    parts = [p.strip() for p in words.split("-") if p.strip()]
    if len(parts) != 2:
        raise ValueError("give two times with a dash between them, e.g. 22:00-07:00")
    return [f"{parse_spoken_time(p):%H:%M}" for p in parts]


WIZARDS_RULE = "my nudges"  # the one rule setup writes, and so the one it may replace


def rule_from(answers: Answers) -> dict[str, Any]:
    kinds = answers.kinds or ["reframe", "self-care"]
    rule: dict[str, Any] = {"name": WIZARDS_RULE}
    if answers.random:
        rule.update(random=answers.random, between=answers.between or ["10:00", "21:00"])
    else:
        rule["at"] = answers.times or ["09:00", "20:00"]
    rule["days"] = answers.days
    rule["kind"] = "any" if len(kinds) == 2 else kinds[0]
    return rule


def check_rule(answers: Answers) -> None:
    """Raise ConfigError (without a file position) if the rule can't work."""
    parse_rule(rule_from(answers), WIZARD, 1)


def merged(existing: dict, answers: Answers) -> dict:
    """The config with the answers in. Setup's own rule is replaced where it
    was; rules setup did not write are kept as they are, and named."""
    data = dict(existing)
    rules = existing.get("schedule")
    rules = rules if isinstance(rules, list) else []
    at = next((i for i, rule in enumerate(rules) if _setups(rule)), len(rules))
    data["schedule"] = [
        *rules[:at],
        _kept_gap(rule_from(answers), rules[at:]),
        *(r for r in rules[at:] if not _setups(r)),
    ]
    data["quiet_hours"] = answers.quiet if answers.quiet is not None else ["22:00", "07:00"]
    content = dict(data.get("content") or {})
    content["kinds"] = answers.kinds or ["reframe", "self-care"]
    data["content"] = content
    notification = data.get("notification") or {}
    if answers.discreet is not None and isinstance(notification, dict):  # else: Draft says what is wrong
        notification = {key: value for key, value in notification.items() if key != "discreet"}
        data["notification"] = {**notification, "discreet": True} if answers.discreet else notification
    return data


def _setups(rule: Any) -> bool:
    """Setup's own rule, however its name was retyped: rule names differ in more than case."""
    return isinstance(rule, dict) and name_key(str(rule.get("name"))) == WIZARDS_RULE


def _kept_gap(rule: dict[str, Any], rules: list) -> dict[str, Any]:
    """The new rule keeps the min_gap its questions don't ask about, where it still fits."""
    old = next(iter(rules), None)
    if "random" not in rule or not _setups(old) or "min_gap" not in old:
        return rule
    try:
        parse_rule({**rule, "min_gap": old["min_gap"]}, WIZARD, 1)
    except ConfigError:
        return rule
    return {**rule, "min_gap": old["min_gap"]}


def offered(existing: dict) -> Offered:
    """The answers that give the config as it is, so that Enter all the way
    through keeps its meaning. Whatever can't be read back as an answer (a
    hand edit the questions can't express) offers the built-in one instead."""
    rules = existing.get("schedule")
    rule = next((r for r in rules if _setups(r)), {}) if isinstance(rules, list) else {}
    now = Offered()
    if "random" in rule:
        now.mode = "random"
        now.count = _said(str(rule["random"]), _count, str, now.count)
        spread = Answers(random=int(now.count))
        now.between = _said(_joined(rule.get("between"), "-"), _span(spread), "-".join, now.between)
    elif "at" in rule:
        now.times = _said(_joined(rule["at"], ", "), _times, ", ".join, now.times)
    if "days" in rule:
        now.days = _said(_joined(rule["days"], ", "), _days(Answers()), _joined, now.days)
    now.kinds = _said(_current_kinds(existing, rule), _kinds, _kinds_text, now.kinds)
    if "quiet_hours" in existing:
        quiet = existing["quiet_hours"]
        now.quiet = (
            "none" if quiet in (None, False, []) else _said(_joined(quiet, "-"), _quiet, "-".join, now.quiet)
        )
    notification = existing.get("notification")
    if isinstance(notification, dict) and notification.get("discreet") is True:
        now.discreet = "yes"
    return now


def _said(text: str, parse: Callable[[str], Any], show: Callable[[Any], str], otherwise: str) -> str:
    """`text` as the question would write it back, if it is an answer the question takes."""
    try:
        return show(parse(text))
    except (ValueError, ConfigError):
        return otherwise


def _joined(value: Any, between: str = ", ") -> str:
    return between.join(map(str, value)) if isinstance(value, list) else str(value)


def _current_kinds(existing: dict, rule: dict) -> str:
    """The kinds setup's rule shows now: its own, as far as content.kinds lets them through."""
    try:
        own = parse_kinds(rule.get("kind", "any"), WIZARD)
        content = existing.get("content")
        allowed = parse_kinds(content.get("kinds", "any") if isinstance(content, dict) else "any", WIZARD)
    except ConfigError:
        return ""
    return ", ".join([kind for kind in own if kind in allowed] or own)


def _kinds_text(kinds: list[str]) -> str:
    return "both" if len(kinds) > 1 else kinds[0]


def existing_data(path: Path) -> dict:
    if not path.exists():
        return {}
    data = plain(yamlfile.read(path))
    return data if isinstance(data, dict) else {}


class Draft:
    """The new config, rendered and checked, but not written until `save`.

    It is checked from a temporary file beside the old one (so pack paths
    resolve the same), which is gone again before any question is asked.
    """

    def __init__(self, path: Path, data: dict) -> None:
        self.path, self.text = path, configfile.render(data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".yaml")
        except OSError as exc:
            raise machine_error(exc, path.parent, "save your settings") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.text)
            self.config = load_config(Path(temp), required=True)
        except OSError as exc:
            raise machine_error(exc, path.parent, "save your settings") from None
        except ConfigError as exc:
            raise _blamed(exc, path, Path(temp)) from None
        finally:
            os.unlink(temp)

    def save(self) -> Path | None:
        """Write the new config. Comments of the user's own, which it can't carry
        over, are not lost: the file as it was is kept beside it, and named."""
        target = real_file(self.path)
        old = yamlfile.read_bytes(target, yamlfile.MAX_CONFIG_BYTES) if yamlfile.exists(target) else b""
        theirs = _comments(old.decode("utf-8", "replace")) - _comments(self.text)
        backup = self.path.with_name(self.path.name + ".bak") if theirs else None
        try:
            if backup:
                replace_atomically(backup, old)
            replace_atomically(target, self.text)
        except OSError as exc:
            raise machine_error(exc, self.path, "save your settings") from None
        return backup


def _comments(text: str) -> set[str]:
    """The comments in a YAML text, on lines of their own or after a value
    ("quiet_hours: [...]  # I sleep late"); a # inside quotes is no comment."""
    found = set()
    for line in text.splitlines():
        quote = None
        for i, char in enumerate(line):
            if quote:
                quote = None if char == quote else quote
            elif char in "'\"" and line[:i].rstrip()[-1:] in ("", ":", "-", "[", "{", ","):
                quote = char
            elif char == "#" and (i == 0 or line[i - 1] in " \t"):
                found.add(line[i:].strip())
                break
    return found


def _blamed(exc: ConfigError, path: Path, temp: Path) -> ConfigError:
    """A new config that can't be used, said of the file the user knows: a
    mistake already in it (setup keeps what it doesn't ask about), or else
    the answers together with the rest, in words without a line."""
    try:
        load_config(path, required=False)
    except ConfigError as already:
        fix = "setup keeps the rest of your config, so fix this first: kindnudge config edit"
        return ConfigError(f"{already.message}; {fix}", already.where)
    return ConfigError(exc.message.replace(str(temp), str(path)), Location(path))


class Conversation:
    """The interactive questions; `ask` and `say` are the terminal."""

    def __init__(self, ask: Callable[[str], str], say: Callable[[str], None], now: Offered) -> None:
        self.ask, self.say, self.now = ask, say, now

    def question(self, prompt: str, default: str, parse: Callable[[str], Any]) -> Any:
        while True:
            text = self.ask(f"{prompt} [{default}]: ").strip() or default
            try:
                return parse(text)
            except (ValueError, ConfigError) as exc:
                message = exc.message if isinstance(exc, ConfigError) else str(exc)
                self.say(f"  Sorry, I couldn't use that: {message}.")

    def run(self) -> Answers:
        answers, now = Answers(), self.now
        self.say("Welcome to kindnudge. A few questions, about a minute.")
        self.say("Press Enter to take the answer in [brackets].\n")
        mode = self.question(
            "Do you want nudges at fixed times, or a number of them at random moments? (fixed/random)",
            now.mode,
            _choice({"fixed": "fixed", "f": "fixed", "random": "random", "r": "random"}, "fixed or random"),
        )
        if mode == "fixed":
            answers.times = self.question("At what times? Separate them with commas", now.times, _times)
        else:
            answers.random = self.question("How many a day? (1 to 12)", now.count, _count)
            answers.between = self.question("Between which hours?", now.between, _span(answers))
        answers.days = self.question(
            "On which days? (daily, weekdays, weekends, or days such as mon,wed,fri)",
            now.days,
            _days(answers),
        )
        answers.kinds = self.question(
            "Which kinds? reframe (a kinder way to see it), self-care (a small thing to do), or both",
            now.kinds,
            _kinds,
        )
        answers.quiet = self.question(
            "Quiet hours, when nothing is ever shown? (or none)", now.quiet, _quiet_for(answers)
        )
        answers.journey = self.question(*journey_question(now))
        answers.discreet = self.question(DISCREET_QUESTION, now.discreet, _discreet)
        return answers


def journey_question(now: Offered) -> tuple[str, str, Callable[[str], str]]:
    """The one question about a journey: whether to follow the article's path,
    or, once a path is complete, what comes next."""
    weeks = f"{now.path_days // 7}-week" if now.path_days % 7 == 0 else f"{now.path_days}-day"
    if now.path_done:
        prompt = (
            f"Your {weeks} path is complete. What next: fewer nudges (one a day), all of them in any order,"
            " the path again, or none? (fewer/any/path/stop)"
        )
        return prompt, now.journey, _choice(_JOURNEY_WORDS, "fewer, any, path or stop")
    prompt = f"Would you like a {weeks} path through the article, or messages in any order? (path/any)"
    words = {k: v for k, v in _JOURNEY_WORDS.items() if v in ("path", "any")} | _YES_NO
    return prompt, now.journey, _choice(words, "path or any (or yes or no)")


DISCREET_QUESTION = (
    "Should nudges hide their words until you choose to read them?"
    " Useful if others can see your screen. (yes/no)"
)


def _discreet(text: str) -> bool:
    return _choice({"yes": "yes", "y": "yes", "no": "no", "n": "no"}, "yes or no")(text) == "yes"


_JOURNEY_WORDS = {
    "path": "path", "p": "path", "journey": "path", "any": "any", "a": "any", "any order": "any",
    "shuffle": "any", "fewer": "fewer", "f": "fewer", "stop": "stop", "none": "stop",
}  # fmt: skip
_YES_NO = {"yes": "path", "y": "path", "yes please": "path", "no": "any", "n": "any", "no thanks": "any"}


def _choice(options: dict[str, str], words: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        said = " ".join(text.lower().replace(",", " ").replace("!", " ").split())
        for word in (said, said.removeprefix("the "), said.removeprefix("a ")):  # "the path"
            if word in options:
                return options[word]
        raise ValueError(f"please answer {words}")

    return parse


def _times(text: str) -> list[str]:
    times = split_times(text)
    parse_rule({"at": times}, WIZARD, 1)
    return times


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 12:
        raise ValueError("give a whole number from 1 to 12")
    return int(text)


def _span(answers: Answers) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        span = split_span(text)
        parse_rule({"random": answers.random, "between": span}, WIZARD, 1)
        return span

    return parse


_DAY_WORDS = {"every day": "daily", "everyday": "daily", "weekday": "weekdays", "weekend": "weekends"}


def _day(word: str) -> str:
    """ "Monday", "mondays", "Mon" -> "mon"; anything else as it is, for the schedule's check."""
    number = day_number(word)
    return word if number is None else DAY_NAMES[number]


def _days(answers: Answers) -> Callable[[str], str]:
    def parse(text: str) -> str | list[str]:
        cleaned = re.sub(r"\s*(?:-|\u2013|\bto\b|\bthrough\b)\s*", "-", " ".join(text.lower().split()))
        cleaned = _DAY_WORDS.get(cleaned, cleaned)
        days = ["-".join(map(_day, word.split("-"))) for part in split_list(cleaned) for word in part.split()]
        value = days[0] if len(days) == 1 else days
        parse_rule({"at": "09:00", "days": value}, WIZARD, 1)
        return value

    return parse


def _kinds(text: str) -> list[str]:
    """ "Self-Care", "self care", "BOTH", "reframe and selfcare": any way people write them."""
    cleaned = re.sub(r"self[\s_-]*care", "self-care", text.lower())
    words = [w for part in split_list(cleaned) for w in part.split()]
    names = {"both": "any", "all": "any", "reframes": "reframe"}
    try:
        return list(parse_kinds([names.get(w, w) for w in words], WIZARD))
    except ConfigError:
        raise ValueError("please answer reframe, self-care or both") from None


def _quiet(text: str) -> list[str]:
    if text.strip().lower() in ("none", "no", "off"):
        return []
    span = split_span(text)
    from kindnudge.config import parse_quiet_hours

    parse_quiet_hours(span, WIZARD, Path.cwd())
    return span


def _quiet_for(answers: Answers) -> Callable[[str], list[str]]:
    """Quiet hours that leave the answered schedule something to show: a
    schedule that always falls inside them would never show a nudge."""

    def parse(text: str) -> list[str]:
        from zoneinfo import ZoneInfo

        from kindnudge.config import parse_quiet_hours
        from kindnudge.planner import Plan, silenced_rules

        span = _quiet(text)
        quiet = parse_quiet_hours(span, WIZARD, Path.cwd())
        rule = parse_rule(rule_from(answers), WIZARD, 1)  # wall-clock times: any zone tells
        if silenced_rules(Plan((rule,), ZoneInfo("UTC"), quiet), datetime.now(timezone.utc)):
            raise ValueError(
                f"every nudge at these times falls inside the quiet hours {'-'.join(span)},"
                " so none would ever show; choose other times or quiet hours (or none)"
            )
        return span

    return parse


def from_options(now: Offered, times: str | None, random: int | None, between: str | None,
                 days: str | None, kinds: str | None, quiet: str | None,
                 journey: str | None = None, discreet: str | None = None) -> Answers:  # fmt: skip
    """The non-interactive form: an option left out keeps the answer `now`, as
    Enter does in the conversation. Any mistake is a one-line usage error."""
    try:
        answers = Answers()
        if times and (random is not None or between):
            raise ValueError("give either --times or --random (with --between), not both")
        if times or (now.mode == "fixed" and random is None and not between):
            answers.times = _times(times or now.times)
        else:
            answers.random = _count(str(random) if random is not None else now.count)
            answers.between = _span(answers)(between or now.between)
        answers.days = _days(answers)(days or now.days)
        answers.kinds = _kinds(kinds or now.kinds)
        answers.quiet = _quiet_for(answers)(quiet or now.quiet)
        answers.journey = journey_question(now)[2](journey) if journey else None
        answers.discreet = _discreet(discreet) if discreet else None
        check_rule(answers)
    except (ValueError, ConfigError) as exc:
        raise UsageError(exc.message if isinstance(exc, ConfigError) else str(exc)) from None
    return answers
