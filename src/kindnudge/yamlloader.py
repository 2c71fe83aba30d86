"""The YAML loader behind yamlfile.parse: safe, YAML 1.2-like, with positions.

Two deliberate departures from PyYAML's YAML 1.1 defaults, because users write
times and words, not base-60 numbers or yes/no flags:

- `9:30` stays the string "9:30" (YAML 1.1 would read the integer 570);
- only `true`/`false` are booleans, so `no`, `on` and `off` stay words.

Tags such as `!!python/object` are refused.

Aliases (`*name`) stay usable, merge keys (`<<: *defaults`) included, but all
the aliases of one file together may stand for at most MAX_REPEATED values,
counted as if written out. An alias costs nothing while loading (it shares the
anchored object), but anything that later walks the data as a tree, such as
writing `my-messages.yaml` back, pays for every repeat: a "billion laughs" file
of a few lines, nine aliases of nine aliases of..., would need gigabytes. Real
files repeat a few small mappings. Nesting is capped at MAX_DEPTH levels
(kindnudge's files need four), so no file can exhaust Python's stack.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from kindnudge.errors import ConfigError, Location
from kindnudge.marked import MarkedDict, MarkedList

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_REPEATED = 10_000
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 100  # no setting needs more; Python refuses ints over 4,300 digits anyway
_LINE_BREAK = "\r\n|[\r\n\x85\u2028\u2029]"  # YAML's line breaks, as its marks count them


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with a YAML 1.2-like resolver and position tracking."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML's own class-level table

    def __init__(self, stream: str, path: Path | str) -> None:
        super().__init__(stream)
        self.source = path
        self.depth = 0
        self.repeated = 0  # values that aliases stand for, counted as if written out
        self.sizes: dict[yaml.Node, int] = {}

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.source, mark.line + 1, mark.column + 1)

    def size(self, node: yaml.Node) -> int:
        """How many values `node` stands for, written out: itself and all inside."""
        if isinstance(node, yaml.ScalarNode):
            return 1
        if node not in self.sizes:
            inner = (
                [part for pair in node.value for part in pair]
                if isinstance(node, yaml.MappingNode)
                else node.value
            )
            self.sizes[node] = 1 + sum(map(self.size, inner))
        return self.sizes[node]

    def children(self, node: yaml.Node, nodes: list[yaml.Node]) -> list[Any]:
        """Build the values inside `node`, keeping count of depth and repeats."""
        if self.depth >= MAX_DEPTH:
            raise ConfigError(
                f"this is nested more than {MAX_DEPTH} levels deep; no kindnudge file needs that many",
                self.location(node),
            )
        self.depth += 1
        built, done, construct = [], self.constructed_objects, self.construct_object
        for child in nodes:
            if child in done:  # an alias: the node was built before
                built.append(done[child])
                self.repeated += self.size(child)
                if self.repeated > MAX_REPEATED:
                    raise ConfigError(
                        f"the aliases (*name) in this file repeat more than {MAX_REPEATED:,} values"
                        " in all; write the values out instead",
                        self.location(node),
                    )
            else:
                built.append(construct(child, deep=True))
        self.depth -= 1
        return built


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


def _number_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """A number's text, refused when it is too long to be meant as a number:
    a huge one would fail later, far from the file (str(), arithmetic)."""
    text = loader.construct_scalar(node)
    if len(text) > MAX_NUMBER_CHARS:
        raise ConfigError(
            f"a number {len(text):,} characters long; write at most {MAX_NUMBER_CHARS},"
            ' or put it in quotes ("...") if it is text',
            loader.location(node),
        )
    return text


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = _number_text(loader, node)
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    _number_text(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    own = node.value
    loader.flatten_mapping(node)  # drops `<<` pairs from `own` in place, puts merged pairs first
    merged = len(node.value) - len(own)
    built = loader.children(node, [part for pair in node.value for part in pair])
    result = MarkedDict()
    result.where = loader.location(node)
    result.key_where, result.value_where = {}, {}
    inherited = set()  # keys that came from `<<: *name`: the mapping's own keys override them
    for index, ((key_node, value_node), key, value) in enumerate(
        zip(node.value, built[::2], built[1::2], strict=True)
    ):
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConfigError("a key must be a plain word", loader.location(key_node))
        if index < merged:
            if key in result:  # merged twice: the first merged mapping wins
                continue
            inherited.add(key)
        elif key in inherited:
            inherited.discard(key)
        elif key in result:
            raise ConfigError(
                f"{key!r} appears twice in the same mapping (first at line "
                f"{result.key_where[key].line}); keep one of them",
                loader.location(key_node),
            )
        result[key] = value
        result.key_where[key] = loader.location(key_node)
        result.value_where[key] = loader.location(value_node)
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.children(node, node.value))
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
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
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
    lines = re.split(_LINE_BREAK, text)
    if mark is None or mark.line >= len(lines):
        return None
    value = re.split(r" #|: |[,\]}]", lines[mark.line][mark.column :])[0].strip()
    if value[:1] not in ("@", "`"):
        return None
    return f'a value cannot start with {value[0]}; put it in quotes: "{value}"'


def load(text: str, source: Path | str) -> Any:
    """Parse one YAML document; any problem becomes a located ConfigError."""
    try:
        return _load(text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
        problem = exc.problem or exc.context or "not valid YAML"
        if "recursive" in problem:  # PyYAML's words for an alias inside its own anchor
            raise ConfigError("an alias (*name) here is inside its own anchor; write it out", where) from None
        raise ConfigError(f"not valid YAML: {_reserved(text, mark) or problem}", where) from None
    except yaml.reader.ReaderError as exc:
        raise _forbidden(text, exc, source) from None
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else "not valid YAML"
        raise ConfigError(f"not valid YAML: {problem}", Location(source)) from None
    except RecursionError:  # a merge key (<<) chain deep enough to get past MAX_DEPTH
        raise ConfigError("nested too deeply; write the values out instead", Location(source)) from None


def _load(text: str, source: Path | str) -> Any:
    loader = _Loader(text, source)  # PyYAML's pure-Python reader checks characters already here
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _forbidden(text: str, exc: yaml.reader.ReaderError, source: Path | str) -> ConfigError:
    """A character YAML never allows (NUL, BEL, ESC...), located by line and column.

    PyYAML gives only an offset, counted in characters or (its C reader) in
    bytes; the first such character in the text is the one it stopped at.
    """
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    index = text.find(char)
    if index < 0:  # not expected; still one line
        return ConfigError(f"the character U+{ord(char):04X} is not allowed; remove it", Location(source))
    before = re.split(_LINE_BREAK, text[:index])
    kind = "control character" if unicodedata.category(char) == "Cc" else "character"
    return ConfigError(
        f"{kind} U+{ord(char):04X} is not allowed in a YAML file; remove it",
        Location(source, len(before), len(before[-1]) + 1),
    )
