"""Edits to a YAML file's text that leave everything else byte for byte.

`kindnudge add` and `remove` change one item of the top-level `messages:`
list. Dumping the whole file again would drop the user's comments, key order
and layout, so these functions find the list with PyYAML's event positions
and insert or delete only that item's text. An item's own lines go with it
(a comment on them too); comment lines above or below it stay.

They never guess: a layout they don't know raises CannotEdit, and the caller
parses every result again before writing it. Only `add` and `remove` import
this module (it needs PyYAML), so other commands don't pay for it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml


class CannotEdit(ValueError):
    """The file's layout is not one these edits can change safely."""


class _List(NamedTuple):
    colon: int  # just after the ':' of the list's key
    flow: bool
    open: int  # where the list starts: its '[' or its first '-'
    close: int  # its ']' (a flow list)
    items: list[tuple[int, int]]  # where each item's text starts and ends


_COMMA = re.compile(r"[ \t]*,")
_JUST_COMMA = re.compile(r"[ \t]*,[ \t]*")
_REST_OF_LINE = re.compile(r"[ \t]*,?[ \t]*(#.*)?\r?\n?")  # after an item that has its line to itself
_TABBED_GAP = re.compile(r"[ \t]*\t[ \t]*(?=#|\r?$)", re.MULTILINE)  # before a comment or a line's end


def append(text: str, key: str, item: dict[str, Any]) -> str:
    """`text` with `item` added at the end of the top-level list `key`, in the list's own style."""
    nl = _newline(text)
    found = _find(text, key)
    if found is None:  # no such key yet (or no document at all): start a block list at the end
        return _insert_lines(text, len(text), f"{key}:{nl}" + _block(item, "  - ", "    ", nl), nl)
    if found.flow and not found.items:
        if re.fullmatch(r"[ \t]*\[[ \t]*\]", text[found.colon : found.close + 1]):
            # `key: []` on one line: becomes a block list, as `add` starts one (`remove` turns it back)
            text = text[: found.colon] + text[found.close + 1 :]
            return _insert_lines(text, _line_end(text, found.colon), _block(item, "  - ", "    ", nl), nl)
        return text[: found.close] + _flow(item) + text[found.close :]
    start, end = found.items[-1]
    if found.flow:
        line, line_end = _line_start(text, start), _line_end(text, end)
        if not _own_line(text, found, start, end):
            return text[:end] + ", " + _flow(item) + text[end:]
        # Each item on a line of its own: so is the new one, after the last one's comment, if any.
        eol = len(text[:line_end].rstrip("\r\n"))
        if _COMMA.match(text, end):
            return text[:eol] + nl + text[line:start] + _flow(item) + "," + text[eol:]
        return text[:end] + "," + text[end:eol] + nl + text[line:start] + _flow(item) + text[eol:]
    dash = _dash(text, start)
    prefix = text[_line_start(text, dash) : start]  # e.g. "  - ", copied so the new item lines up
    if not re.fullmatch(r" *- +", prefix):
        prefix = prefix[: prefix.index("-")] + "- "
    if text[start] == "{":  # items written as `- {id: ..., text: ...}`: the new one too
        return _insert_lines(text, _item_end(text, end), prefix + _flow(item) + nl, nl)
    return _insert_lines(text, _item_end(text, end), _block(item, prefix, " " * len(prefix), nl), nl)


def delete(text: str, key: str, index: int) -> str:
    """`text` without item `index` of the top-level list `key` (its own lines, in a block list)."""
    found = _find(text, key)
    if found is None or not 0 <= index < len(found.items):
        raise CannotEdit(f"no item {index} in '{key}'")
    start, end = found.items[index]
    if found.flow:
        return _delete_flow(text, found, index)
    line = _line_start(text, _dash(text, start))
    line_end = _item_end(text, end)
    if line_end == len(text) and not text.endswith("\n") and line:  # the last line: keep "no final newline"
        line -= 2 if text[line - 2 : line] == "\r\n" else 1
    text = text[:line] + text[line_end:]
    if len(found.items) == 1:  # an empty block list would read as nothing at all
        text = text[: found.colon] + " []" + text[found.colon :]
    return text


def dump(data: Any) -> str:
    """A whole document, block style, for when the file must be written afresh."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _delete_flow(text: str, found: _List, index: int) -> str:
    items = found.items
    start, end = items[index]
    before = items[index - 1][1] if index else None
    after = items[index + 1][0] if index + 1 < len(items) else None
    if _own_line(text, found, start, end) and (after is None or after >= _line_end(text, end)):
        trailing_comma = _COMMA.match(text, end)
        text = text[: _line_start(text, start)] + text[_line_end(text, end) :]
        comma = _COMMA.match(text, before) if before is not None and not trailing_comma else None
        return text[: comma.end() - 1] + text[comma.end() :] if comma else text
    if after is not None and _JUST_COMMA.fullmatch(text, end, after):
        return text[:start] + text[after:]
    if before is not None and _JUST_COMMA.fullmatch(text, before, start):
        return text[:before] + text[end:]
    if before is None and after is None:
        comma = _JUST_COMMA.match(text, end)
        return text[:start] + text[comma.end() if comma else end :]
    raise CannotEdit("a flow list laid out in an unusual way")


def _find(text: str, key: str) -> _List | None:
    """The top-level list `key`, or None when there is no such key yet."""
    try:
        events = list(yaml.parse(_untabbed(text), Loader=yaml.SafeLoader))  # pure Python: str indexes
    except yaml.YAMLError as exc:
        raise CannotEdit(str(exc)) from None
    documents = [i for i, event in enumerate(events) if isinstance(event, yaml.DocumentStartEvent)]
    if not documents:
        return None
    if len(documents) > 1:
        raise CannotEdit("more than one document")
    top = events[documents[0] + 1]
    if isinstance(top, yaml.ScalarEvent) and top.value == "" and top.implicit[0]:
        return None  # a document with nothing in it, e.g. just `---`
    if not isinstance(top, yaml.MappingStartEvent) or top.flow_style:
        raise CannotEdit("the file is not a block mapping")
    i = documents[0] + 2
    while not isinstance(events[i], yaml.MappingEndEvent):
        key_event = events[i]
        i, _start, key_end = _skip(events, i)
        if isinstance(key_event, yaml.ScalarEvent) and key_event.value == key:
            return _list(text, events, i, key_end)
        i, _start, _end = _skip(events, i)
    return None


def _untabbed(text: str) -> str:
    """`text` with the tabs before a comment or a line's end made spaces, so
    positions stay: libyaml (which loads the file) allows them there, but
    PyYAML's pure-Python parser (which gives positions) refuses them."""
    return _TABBED_GAP.sub(lambda gap: " " * len(gap[0]), text)


def _list(text: str, events: list, i: int, key_end: int) -> _List:
    colon = re.compile(r"[ \t]*:").match(text, key_end)
    start = events[i]
    if not colon or not isinstance(start, yaml.SequenceStartEvent):
        raise CannotEdit("the key is not followed by a list")
    i, items = i + 1, []
    while not isinstance(events[i], yaml.SequenceEndEvent):
        i, item_start, item_end = _skip(events, i)
        items.append((item_start, item_end))
    return _List(
        colon.end(), bool(start.flow_style), start.start_mark.index, events[i].start_mark.index, items
    )


def _skip(events: list, i: int) -> tuple[int, int, int]:
    """Past the node that starts at events[i]: (next event, where its text starts, where it ends).

    A block collection's end event sits at the next token, after any comments
    in between, so only scalars, aliases and flow brackets say where a node ends.
    """
    start = end = events[i].start_mark.index
    depth = 0
    while True:
        event = events[i]
        i += 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if not (
            isinstance(event, yaml.CollectionEndEvent) and event.start_mark.index == event.end_mark.index
        ):
            end = max(end, event.end_mark.index)
        if depth == 0:
            return i, start, end


def _own_line(text: str, found: _List, start: int, end: int) -> bool:
    """Whether a flow list's item has its line(s) to itself (but for its comma and a comment)."""
    line = _line_start(text, start)
    return (
        line > found.open
        and not text[line:start].strip()
        and bool(_REST_OF_LINE.fullmatch(text, end, _line_end(text, end)))
    )


def _dash(text: str, start: int) -> int:
    """The '-' of the block list item whose text starts at `start`."""
    dash = start - 1
    while dash >= 0 and text[dash] in " \t":
        dash -= 1
    if dash < 0 or text[dash] != "-" or text[_line_start(text, dash) : dash].strip(" "):
        raise CannotEdit("a list item that does not start its own line")
    return dash


def _item_end(text: str, end: int) -> int:
    """Just past the line a block item ends on (a block scalar already ends past it)."""
    if text[end - 1 : end] == "\n":
        return end
    line_end = _line_end(text, end)
    if text[end:line_end].strip() and not text[end:line_end].lstrip().startswith("#"):
        raise CannotEdit("something else follows a list item on its line")
    return line_end


def _insert_lines(text: str, at: int, lines: str, nl: str) -> str:
    """`lines` (each ending in a newline) inserted at the line boundary `at`."""
    if at == len(text) and text and not text.endswith("\n"):
        return text + nl + lines[: -len(nl)]  # the file had no final newline; it still has none
    return text[:at] + lines + text[at:]


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Just past the newline ending the line that `index` is on (or the end of the text)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _block(item: dict[str, Any], first: str, rest: str, nl: str) -> str:
    lines = [f"{key}: {_scalar(value, flow=False)}" for key, value in item.items()]
    return first + lines[0] + nl + "".join(rest + line + nl for line in lines[1:])


def _flow(item: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{key}: {_scalar(value, flow=True)}" for key, value in item.items()) + "}"


def _scalar(value: Any, flow: bool) -> str:
    """One value as PyYAML would write it in that context, on one line."""
    written = yaml.dump([value], Dumper=_Dumper, default_flow_style=flow, allow_unicode=True, width=1 << 30)
    return written[1:-2] if flow else written[2:-1]


class _Dumper(yaml.SafeDumper):
    """Quotes what kindnudge's loader would not read back as the same string.

    PyYAML's dumper follows YAML 1.1, where `019` and `1e5` are strings; the
    loader (YAML 1.2-like) reads them as numbers. Single quotes keep emoji as
    they are (double quotes would escape them); a line break needs double
    quotes, so that every value fits on one line.
    """


_NUMBER_LIKE = re.compile(r"^[-+.0-9]|^$")
_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if _BREAK.search(value) else "'" if _NUMBER_LIKE.search(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
