"""Safe YAML reading that remembers where every value came from.

Containers come back as `MarkedDict`/`MarkedList`, so validation can point at
`file:line:column`; the small helpers here turn YAML values into typed ones
with messages that say what to write instead. The loader itself (and PyYAML)
lives in yamlloader.py.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Sequence
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from kindnudge.errors import ConfigError, KindnudgeError, Location, machine_error
from kindnudge.marked import MarkedDict, MarkedList
from kindnudge.timetext import TooLong, format_duration, parse_duration, parse_spoken_time, parse_time_of_day


def parse(text: str, source: Path | str) -> Any:
    """Parse one YAML document; any problem becomes a located ConfigError.

    PyYAML is imported here, not at start-up: commands that find everything
    they need in the cache never pay for it.
    """
    from kindnudge.yamlloader import load

    return load(text, source)


MAX_CONFIG_BYTES = 1 << 20
MAX_PACK_BYTES = 32 << 20  # ample: 100,000 messages take about 9.5 MB

_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
)


def exists(path: Path) -> bool:
    """Whether anything may be at `path`: false only when nothing can be there.

    A symbolic link to nowhere counts, and so does a path that cannot be
    looked at (a folder without permission): each is a mistake for the reader
    to report, not a missing file to quietly replace with defaults.
    (os.path.lexists says False for both.)
    """
    try:
        os.lstat(path)
    except ValueError:  # a NUL in the path
        return False
    except OSError as exc:  # nothing can be at a path too long or through a file
        return exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG)
    return True


def read_bytes(path: Path, limit: int = MAX_PACK_BYTES) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    The one way kindnudge reads a file a person (or a prankster) may have put
    anything at: a named pipe would block the open for ever, /dev/zero never
    ends, a sparse file can claim terabytes. So it stats first and opens only a
    regular file (a symbolic link to one is fine), opens without blocking in
    case the file was swapped in between, checks the open file again, and
    reads at most `limit` bytes. Every refusal is one located ConfigError.
    """
    try:
        _check_regular(os.stat(path), path, limit)
        with os.fdopen(os.open(path, _OPEN_FLAGS), "rb") as stream:
            _check_regular(os.fstat(stream.fileno()), path, limit)
            data = stream.read(limit + 1)
    except OSError as exc:
        raise _unreadable(exc, path) from None
    if len(data) > limit:
        raise _too_big(len(data), limit, path)
    return data


def read_text(path: Path, limit: int = MAX_PACK_BYTES) -> str:
    """`read_bytes` as UTF-8 text."""
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", Location(path)
        ) from None


def read(path: Path, limit: int = MAX_PACK_BYTES) -> Any:
    """Read (safely, see read_text) and parse a YAML file."""
    return parse(read_text(path, limit), path)


def _check_regular(info: os.stat_result, path: Path, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder" if stat.S_ISDIR(info.st_mode)
            else "a named pipe" if stat.S_ISFIFO(info.st_mode)
            else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket" if stat.S_ISSOCK(info.st_mode)
            else "something special"
        )  # fmt: skip
        subject = f"a symbolic link to {os.readlink(path)}, which is" if os.path.islink(path) else "this is"
        raise ConfigError(f"{subject} {kind}, not a file; give the path of a .yaml file", Location(path))
    if info.st_size > limit:
        raise _too_big(info.st_size, limit, path)


def _too_big(size: int, limit: int, path: Path) -> ConfigError:
    return ConfigError(
        f"the file is {_bytes(size)}, over the limit of {_bytes(limit)}; is it the right file?",
        Location(path),
    )


def _bytes(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _unreadable(exc: OSError, path: Path) -> KindnudgeError:
    """An OSError from opening a user's file: exit 2 when the file is the problem."""
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        target = os.path.realpath(path)
        message = f"a symbolic link to {target}, which does not exist; point it at a file or remove it"
    elif isinstance(exc, FileNotFoundError):
        message = "no such file; check the path"
    elif exc.errno == errno.ELOOP:
        message = "a symbolic link that leads back to itself; point it at a file or remove it"
    elif isinstance(exc, IsADirectoryError):
        message = "this is a folder, not a file; give the path of a .yaml file"
    elif isinstance(exc, NotADirectoryError):
        message = "part of this path is a file where a folder should be; check the path"
    elif isinstance(exc, PermissionError) and not os.access(folder := Path(path).parent, os.X_OK):
        message = f"you may not open its folder {folder} (permission denied); check who owns it (ls -ld)"
    elif isinstance(exc, PermissionError):
        message = "you may not read this file (permission denied); check who owns it (ls -l)"
    else:
        return machine_error(exc, path, "read it")
    return ConfigError(message, Location(path))


def describe(value: Any) -> str:
    """How a YAML value reads to a person, for 'expected X, got Y' messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, float) and not math.isfinite(value):  # as YAML writes them
        return f"the number {'-' if value < 0 else ''}.{'nan' if math.isnan(value) else 'inf'}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, list):
        return "a list"
    return "a mapping of keys"


def unknown_key(key: Any, known: Sequence[str], where: Location, what: str) -> ConfigError:
    """An unknown key, with the closest known one suggested."""
    import difflib

    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
    return ConfigError(f"unknown {what} {quoted(str(key))}; {hint}", where)


def quoted(text: str, limit: int = 60) -> str:
    """Text from a file, quoted for a one-line message: shortened, with line
    breaks and other invisible characters written as escapes."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'" if text.isprintable() else repr(text)


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
        meant = _number_as_time(f"{value // 100}.{value % 100:02d}" if value > 99 else f"{value}.00")
        raise ConfigError(f'{value} is not a time of day; write it in quotes, e.g. "{meant}"', where)
    if isinstance(value, float):  # 11.30, read as 11.3
        meant = _number_as_time(str(value))
        raise ConfigError(
            f'a time is written in quotes with a colon, e.g. "{meant}", not the number {value}', where
        )
    if not isinstance(value, str):
        raise ConfigError(f'expected a time such as "09:30", got {describe(value)}', where)
    try:
        return parse_time_of_day(value)
    except ValueError as exc:
        try:  # "11am", as `setup` takes it: say how this file writes it
            said = parse_spoken_time(value)
        except ValueError:
            raise ConfigError(str(exc), where) from None
        raise ConfigError(
            f'\'{value.strip()}\': this file writes a time as "HH:MM"; write "{said:%H:%M}"', where
        ) from None


def _number_as_time(digits: str) -> str:
    """ "11.3" (YAML's reading of 11.30) as "11:30", "9.00" as "09:00"; "09:30" when it can't be one."""
    hours, _, minutes = digits.partition(".")
    minutes = minutes.ljust(2, "0")
    if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and len(minutes) == 2 and int(minutes) < 60:
        return f"{int(hours):02d}:{minutes}"
    return "09:30"


def duration(value: Any, where: Location, name: str, at_most: timedelta, hint: str = "") -> timedelta:
    """A duration as written in YAML ("20s", "1h30m", 0), at most `at_most`, or a
    ConfigError giving the range: a huge value would otherwise overflow later,
    far from the file (in the daemon, or on the D-Bus wire)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf:
        if value > at_most.total_seconds():  # no hint that is itself refused
            most = format_duration(at_most)
            raise ConfigError(f'{value} has no unit; {name} takes 0 to {most}: write e.g. "{most}"', where)
        raise ConfigError(f'{value} has no unit; write e.g. "{value}s" or "{value}m"', where)
    if value == 0 and not isinstance(value, bool):
        return timedelta(0)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{name} takes a duration such as "20s" or "2h", got {describe(value)}', where)
    try:
        return parse_duration(value, at_most)
    except TooLong:
        raise ConfigError(
            f"{name} takes 0 to {format_duration(at_most)}{hint}, got '{value.strip()}'", where
        ) from None
    except ValueError as exc:
        raise ConfigError(str(exc), where) from None


def plain(value: Any) -> Any:
    """Marked YAML containers -> plain dicts and lists, for dumping."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
