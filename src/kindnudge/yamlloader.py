"""The YAML loader behind yamlfile.parse: safe, YAML 1.2-like, with positions.

Two deliberate departures from PyYAML's YAML 1.1 defaults, because users write
times and words, not base-60 numbers or yes/no flags:

- `9:30` stays the string "9:30" (YAML 1.1 would read the integer 570);
- only `true`/`false` are booleans, so `no`, `on` and `off` stay words.

Tags such as `!!python/object` are refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kindnudge.errors import ConfigError, Location
from kindnudge.yamlfile import MarkedDict, MarkedList

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with a YAML 1.2-like resolver and position tracking."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML's own class-level table

    def __init__(self, stream: str, path: Path | str) -> None:
        super().__init__(stream)
        self.source = path

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.source, mark.line + 1, mark.column + 1)


def _resolve(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolve("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolve(
    "tag:yaml.org,2002:int",
    r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
    "-+0123456789",
)
_resolve(
    "tag:yaml.org,2002:float",
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+0123456789.",
)
_resolve("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])  # type: ignore[arg-type]
_resolve("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.where = loader.location(node)
    result.key_where, result.value_where = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConfigError("a key must be a plain word", loader.location(key_node))
        if key in result:
            raise ConfigError(
                f"'{key}' appears twice in the same mapping (first at line "
                f"{result.key_where[key].line}); keep one of them",
                loader.location(key_node),
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_where[key] = loader.location(key_node)
        result.value_where[key] = loader.location(value_node)
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.where = loader.location(node)
    result.item_where = [loader.location(child) for child in node.value]
    return result


def _refuse(loader: _Loader, node: yaml.Node) -> None:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise ConfigError(
        f"the tag {tag} is not allowed here; remove it and write a plain value",
        loader.location(node),
    )


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _refuse)
_Loader.add_constructor("tag:yaml.org,2002:set", _refuse)
_Loader.add_constructor("tag:yaml.org,2002:omap", _refuse)
_Loader.add_constructor("tag:yaml.org,2002:pairs", _refuse)
_Loader.add_constructor("tag:yaml.org,2002:binary", _refuse)
_Loader.add_constructor(None, _refuse)


def _reserved(text: str, mark: yaml.Mark | None) -> str | None:
    """A value starting with @ or ` (such as `cron: @daily`) only needs quotes: say so."""
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)  # YAML's line breaks, as its marks count them
    if mark is None or mark.line >= len(lines):
        return None
    value = re.split(r" #|: |[,\]}]", lines[mark.line][mark.column :])[0].strip()
    if value[:1] not in ("@", "`"):
        return None
    return f'a value cannot start with {value[0]}; put it in quotes: "{value}"'


def load(text: str, source: Path | str) -> Any:
    """Parse one YAML document; any problem becomes a located ConfigError."""
    loader = _Loader(text, source)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
        problem = exc.problem or exc.context or "not valid YAML"
        raise ConfigError(f"not valid YAML: {_reserved(text, mark) or problem}", where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", Location(source)) from None
    finally:
        loader.dispose()
