"""The system's time zone, for a config that names none.

tzlocal finds the IANA name of the system's zone, but not every system
setting has one: TZ may hold a POSIX rule ("UTC+5",
"CET-1CEST,M3.5.0,M10.5.0/3") or a name that exists nowhere. Then the rule
itself is followed where zoneinfo can read it, else the offset the system
uses right now; either way kindnudge says once, on stderr, which, and how to
choose a zone instead.
"""

from __future__ import annotations

import functools
import os
from zoneinfo import ZoneInfo


@functools.cache
def system_zone() -> ZoneInfo:
    import tzlocal

    try:
        return tzlocal.get_localzone()
    except Exception:  # ZoneInfoNotFoundError, or ValueError for conflicting settings: fall back
        pass
    rule = os.environ.get("TZ", "")
    zone = _from_rule(rule) if rule else None
    east = _system_offset()
    if zone:
        using = f"its rule, UTC{_offset_now(zone)} now"
    elif zone := _from_rule(_fixed_rule(east)):
        using = f"UTC{_offset_now(zone)}, the system's offset now"
    else:  # the C library's offset is a whole day or more (TZ=UTC+25): no real place
        zone = _from_rule("UTC0")
        using = "UTC"
    problem = f"TZ='{rule}' is not a time zone name" if rule else "cannot tell the system's time zone"
    _tell(f"{problem}; using {using}; to choose, write e.g. `timezone: Europe/Berlin` in your config")
    return zone


def _from_rule(rule: str) -> ZoneInfo | None:
    """A zone that follows a POSIX TZ rule, or None if zoneinfo can't read it.

    zoneinfo reads such rules only at the end of a TZif file, so this makes
    one: no transitions, one placeholder local time type, then the rule.
    """
    import io
    import struct

    header = b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
    local_time_type = struct.pack(">lbB", 0, 0, 0) + b"UTC\0"
    try:
        data = (header + local_time_type) * 2 + b"\n" + rule.encode("ascii") + b"\n"
        zone = ZoneInfo.from_file(io.BytesIO(data), key=rule)
    except (ValueError, UnicodeError):
        return None
    return zone if _offsets_fit(zone) else None


def _offsets_fit(zone: ZoneInfo) -> bool:
    """Whether every offset of the zone is under a day, as Python's datetime
    needs (a rule may say "UTC+24", or "UTC-24:59" in summer): tried on each
    day of the coming year, which a POSIX rule repeats."""
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc)
    try:
        for day in range(367):
            (start + timedelta(days=day)).astimezone(zone).utcoffset()
    except (ValueError, OverflowError):
        return False
    return True


def _system_offset() -> int:
    import time

    return time.localtime().tm_gmtoff


def _fixed_rule(east: int) -> str:
    """The POSIX rule for a fixed offset (seconds east of UTC), named the way
    tzdata names zones without a name ("+0530"). POSIX counts westwards."""
    if not east:
        return "UTC0"
    hours, minutes = divmod(abs(east) // 60, 60)
    sign = "+" if east > 0 else "-"
    name = f"{sign}{hours:02}{minutes:02}" if minutes else f"{sign}{hours:02}"
    return f"<{name}>{'-' if east > 0 else ''}{hours}:{minutes:02}"


def _offset_now(zone: ZoneInfo) -> str:
    from datetime import datetime

    text = datetime.now(zone).strftime("%z")  # "+0530"
    return f"{text[:3]}:{text[3:5]}"


def _tell(line: str) -> None:
    """One line on stderr, if stderr takes it: a note is never worth a crash."""
    import contextlib
    import sys

    from kindnudge.errors import one_line

    with contextlib.suppress(OSError, ValueError):
        print(f"kindnudge: {one_line(line)}", file=sys.stderr)
