"""Writing config.yaml for people: every setting documented in a comment.

Used by `setup` (which changes a few settings and keeps the rest) and by
`config show`. Values are written as a user would write them, so the file
reads back through the same checks as a hand-written one.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from kindnudge.config import SETTINGS
from kindnudge.yamlfile import plain

HEADER = (
    "# kindnudge settings. Every setting is optional: delete a line to get the default.\n"
    "# `kindnudge check` checks this file; the README has the full reference.\n"
)


class _Dumper(yaml.SafeDumper):
    """Block style, except short lists of plain values: ["22:00", "07:00"].
    Times are quoted, as the README asks of a hand-written file."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(item, (dict, list)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_CLOCK = re.compile(r"\d{1,2}:\d{2}")  # 07:45: a number of minutes to some YAML readers


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "'" if _CLOCK.fullmatch(value) else None  # None: PyYAML quotes what it must
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def _dump(key: str, value: Any) -> list[str]:
    if value is None:
        return [f"{key}:"]
    text = yaml.dump({key: plain(value)}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text.splitlines()


def render(values: dict[str, Any], defaults_as_comments: bool = True) -> str:
    """A commented config: set values as lines, the others as commented defaults."""
    out = [HEADER]
    current = None
    for setting in SETTINGS:
        section, _, key = setting.key.rpartition(".")
        table = values.get(section) or {} if section else values
        active = not defaults_as_comments or key in table
        if section and section != current:
            current = section
            section_active = not defaults_as_comments or any(
                s.key.rpartition(".")[2] in table for s in SETTINGS if s.key.startswith(section + ".")
            )
            out.append(f"\n{section}:\n" if section_active else f"\n# {section}:\n")
        if not section:
            out.append("\n")
        lines = [f"# {setting.doc}", *_dump(key, table.get(key, setting.default))]
        if setting.key == "timezone" and table.get(key) is None and not defaults_as_comments:
            lines[1:] = [_system_zone()]  # what is in effect, as `config show` promises
        if not active:
            lines[1:] = [f"# {line}" for line in lines[1:]]
        indent = "  " if section else ""
        if section and not section_active:
            lines = [f"#   {line}" for line in lines]
            indent = ""
        out.extend(f"{indent}{line}\n" for line in lines)
    return "".join(out)


def _system_zone() -> str:
    """The timezone line for the system's zone; one without a name (a TZ rule
    such as "UTC+5") is shown as a comment, since the file can't take it."""
    from zoneinfo import ZoneInfo

    from kindnudge.localzone import system_zone

    name = str(system_zone())
    try:
        ZoneInfo(name)
    except (LookupError, ValueError, OSError):
        return f"timezone:  # the system's rule {name}, which is not a zone name"
    return f"timezone: {name}  # the system's"
