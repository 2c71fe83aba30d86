"""Safe YAML reading that remembers where every value came from.

Containers come back as `MarkedDict`/`MarkedList`, so validation can point at
`file:line:column`; the small helpers here turn YAML values into typed ones
with messages that say what to write instead. The loader itself (and PyYAML)
lives in yamlloader.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Any

from kindnudge.errors import ConfigError, Location
from kindnudge.marked import MarkedDict, MarkedList
from kindnudge.timetext import parse_time_of_day


def parse(text: str, source: Path | str) -> Any:
    """Parse one YAML document; any problem becomes a located ConfigError.

    PyYAML is imported here, not at start-up: commands that find everything
    they need in the cache never pay for it.
    """
    from kindnudge.yamlloader import load

    return load(text, source)


def read(path: Path) -> Any:
    """Read and parse a file, turning OS and encoding errors into one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file; check the path", Location(path)) from None
    except IsADirectoryError:
        raise ConfigError("this is a folder; give the path of a .yaml file", Location(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", Location(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", Location(path)) from None
    return parse(text, path)


def describe(value: Any) -> str:
    """How a YAML value reads to a person, for 'expected X, got Y' messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "a list"
    return "a mapping of keys"


def unknown_key(key: Any, known: Sequence[str], where: Location, what: str) -> ConfigError:
    """An unknown key, with the closest known one suggested."""
    import difflib

    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
    return ConfigError(f"unknown {what} '{key}'; {hint}", where)


def check_keys(mapping: MarkedDict, known: Sequence[str], what: str) -> None:
    for key in mapping:
        if key not in known:
            raise unknown_key(key, known, mapping.key_at(key), what)


def items(value: Any, where: Location) -> list[tuple[Any, Location]]:
    """A list with each item's position; a single value counts as a list of one."""
    if isinstance(value, MarkedList):
        return [(item, value.at(i)) for i, item in enumerate(value)]
    if isinstance(value, list):
        return [(item, where) for item in value]
    return [(value, where)]


def clock(value: Any, where: Location) -> time:
    """A time of day as written in YAML, or a ConfigError saying how to write it."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ConfigError(f'{value} is not a time of day; write it in quotes, e.g. "09:30"', where)
    if not isinstance(value, str):
        raise ConfigError(f'expected a time such as "09:30", got {describe(value)}', where)
    try:
        return parse_time_of_day(value)
    except ValueError as exc:
        raise ConfigError(str(exc), where) from None


def plain(value: Any) -> Any:
    """Marked YAML containers -> plain dicts and lists, for dumping."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
