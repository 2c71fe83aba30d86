"""Without `timezone:`, the system's zone, whatever TZ holds: an IANA name,
a POSIX rule, a path, nonsense or nothing. Never a crash; a note when guessed."""

from __future__ import annotations

import json

import pytest

from conftest import run

NOTE = "to choose, write e.g. `timezone: Europe/Berlin` in your config"


@pytest.mark.parametrize(
    ("tz", "offset", "note"),
    [
        ("UTC+5", "-05:00", "kindnudge: TZ='UTC+5' is not a time zone name; using its rule, UTC-05:00 now; "),
        ("CET-1CEST,M3.5.0,M10.5.0/3", "+02:00", "using its rule, UTC+0"),  # summer time in July
        ("<+0530>-5:30", "+05:30", "using its rule, UTC+05:30 now"),
        ("Nowhere/Land", "+00:00", "TZ='Nowhere/Land' is not a time zone name; using UTC+00:00, the system"),
        ("UTC+25", "+00:00", "kindnudge: TZ='UTC+25' is not a time zone name; using UTC; "),
        ("XXX999999999", "+00:00", "TZ='XXX999999999' is not a time zone name; using UTC; "),
        ("UTC-24:59", "+00:00", "using UTC; "),  # the C library takes it, as a whole day
        ("EST5EDT", "-04:00", None),
        ("", "+00:00", None),
        (":/etc/localtime", None, None),
    ],
)
def test_any_tz_plans_in_the_zone_the_system_uses(tz, offset, note, config_file):
    result = run("next", "-n", "3", "--from", "2026-07-01T00:00", "--json", env={"TZ": tz})  # local midnight
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)[0]["at"]
    assert offset is None or first == f"2026-07-01T09:00:00{offset}"
    if note:  # said once, however often the zone is asked for
        assert result.stderr.count("\n") == 1 and note in result.stderr and NOTE in result.stderr
    else:
        assert result.stderr == ""


def test_a_configured_zone_needs_no_note(config_file):
    config_file.write_text("timezone: Europe/Berlin\n")
    result = run("status", env={"TZ": "UTC+5"})
    assert (result.returncode, result.stderr) == (0, "")
