"""`kindnudge setup`: a short, kind conversation instead of editing YAML.

Each answer is checked on the spot by the same parsers as config.yaml and
asked again, with help, when it can't be used. Re-running it changes only
what it asks about (schedule, kinds, quiet hours) and keeps everything else.
The same answers can be given as options, for a non-interactive setup.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kindnudge import configfile, yamlfile
from kindnudge.config import load_config
from kindnudge.errors import ConfigError, Location, UsageError, machine_error
from kindnudge.paths import real_file, replace_atomically
from kindnudge.schedule import parse_kinds, parse_rule
from kindnudge.yamlfile import plain

WIZARD = Location("(your answer)")


@dataclass
class Answers:
    times: list[str] | None = None  # fixed times, or
    random: int | None = None  # N a day at random
    between: list[str] | None = None
    days: str = "daily"
    kinds: list[str] | None = None
    quiet: list[str] | None = None  # [] for none


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def split_span(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("to", "-").replace("\u2013", "-").split("-") if p.strip()]
    if len(parts) != 2:
        raise ValueError("give two times with a dash between them, e.g. 22:00-07:00")
    return parts


def rule_from(answers: Answers) -> dict[str, Any]:
    kinds = answers.kinds or ["reframe", "self-care"]
    rule: dict[str, Any] = {"name": "my nudges"}
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
    data = dict(existing)
    data["schedule"] = [rule_from(answers)]
    data["quiet_hours"] = answers.quiet if answers.quiet is not None else ["22:00", "07:00"]
    content = dict(data.get("content") or {})
    content["kinds"] = answers.kinds or ["reframe", "self-care"]
    data["content"] = content
    return data


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
        finally:
            os.unlink(temp)

    def save(self) -> None:
        try:
            replace_atomically(real_file(self.path), self.text)
        except OSError as exc:
            raise machine_error(exc, self.path, "save your settings") from None


class Conversation:
    """The interactive questions; `ask` and `say` are the terminal."""

    def __init__(self, ask: Callable[[str], str], say: Callable[[str], None]) -> None:
        self.ask, self.say = ask, say

    def question(self, prompt: str, default: str, parse: Callable[[str], Any]) -> Any:
        while True:
            text = self.ask(f"{prompt} [{default}]: ").strip() or default
            try:
                return parse(text)
            except (ValueError, ConfigError) as exc:
                message = exc.message if isinstance(exc, ConfigError) else str(exc)
                self.say(f"  Sorry, I couldn't use that: {message}.")

    def run(self) -> Answers:
        answers = Answers()
        self.say("Welcome to kindnudge. A few questions, about a minute.")
        self.say("Press Enter to take the answer in [brackets].\n")
        mode = self.question(
            "Do you want nudges at fixed times, or a number of them at random moments? (fixed/random)",
            "fixed",
            _choice({"fixed": "fixed", "f": "fixed", "random": "random", "r": "random"}, "fixed or random"),
        )
        if mode == "fixed":
            answers.times = self.question("At what times? Separate them with commas", "09:00, 20:00", _times)
        else:
            answers.random = self.question("How many a day? (1 to 12)", "3", _count)
            answers.between = self.question("Between which hours?", "10:00-21:00", _span(answers))
        answers.days = self.question(
            "On which days? (daily, weekdays, weekends, or days such as mon,wed,fri)", "daily", _days(answers)
        )
        answers.kinds = self.question(
            "Which kinds? reframe (a kinder way to see it), self-care (a small thing to do), or both",
            "both",
            _kinds,
        )
        answers.quiet = self.question(
            "Quiet hours, when nothing is ever shown? (or none)", "22:00-07:00", _quiet
        )
        return answers


def _choice(options: dict[str, str], words: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"please answer {words}")
        return options[text.lower()]

    return parse


def _times(text: str) -> list[str]:
    times = split_list(text)
    if not times:
        raise ValueError("give at least one time, e.g. 09:00")
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


def _days(answers: Answers) -> Callable[[str], str]:
    def parse(text: str) -> str | list[str]:
        days = split_list(text)
        value = days[0] if len(days) == 1 else days
        parse_rule({"at": "09:00", "days": value}, WIZARD, 1)
        return value

    return parse


def _kinds(text: str) -> list[str]:
    words = [w.replace("selfcare", "self-care") for w in split_list(text.lower().replace(" ", ","))]
    try:
        return list(parse_kinds(["any" if w == "both" else w for w in words], WIZARD))
    except ConfigError:
        raise ValueError("please answer reframe, self-care or both") from None


def _quiet(text: str) -> list[str]:
    if text.lower() in ("none", "no", "off"):
        return []
    span = split_span(text)
    from kindnudge.config import parse_quiet_hours

    parse_quiet_hours(span, WIZARD, Path.cwd())
    return span


def from_options(times: str | None, random: int | None, between: str | None, days: str | None,
                 kinds: str | None, quiet: str | None) -> Answers:  # fmt: skip
    """The non-interactive form; any mistake is a one-line usage error."""
    try:
        answers = Answers()
        if times and random:
            raise ValueError("give either --times or --random, not both")
        answers.times = _times(times) if times else None
        answers.random = _count(str(random)) if random else None
        answers.between = _span(answers)(between) if between else None
        answers.days = _days(answers)(days) if days else "daily"
        answers.kinds = _kinds(kinds or "both")
        answers.quiet = _quiet(quiet) if quiet else None
        check_rule(answers)
    except (ValueError, ConfigError) as exc:
        raise UsageError(exc.message if isinstance(exc, ConfigError) else str(exc)) from None
    return answers
