"""Message packs: loading, validating and looking up the nudges.

A pack is a YAML mapping with a `messages` list. Built-in packs ship in the
package; the user's own come from `content.packs` in config. Every mistake is
reported with the file, line and column it sits on.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from kindnudge import jsoncache, yamlfile
from kindnudge.errors import ConfigError, Location
from kindnudge.yamlfile import MarkedDict, MarkedList, check_keys, describe

KINDS = ("reframe", "self-care")
MAX_TEXT = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # with fullmatch: no trailing newline slips in
# C0 and C1 controls but tab, newline and CR (folded into spaces), and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Whitespace and the characters that take no room on screen: soft hyphen,
# joiners, zero-width spaces, direction marks, BOM, variation selectors, tags,
# and the "filler" letters that draw nothing.
_INVISIBLE = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]*"
)
_PACK_KEYS = ("messages", "title", "description", "source")
_MESSAGE_KEYS = ("id", "kind", "text", "section", "stage")


class Message(NamedTuple):
    """One nudge. A tuple for the same reason as Location: packs can be big."""

    id: str
    kind: str
    text: str
    section: str | None
    pack: str
    stage: str | None = None  # where on a journey it belongs; None fits any stage


class Library(NamedTuple):
    messages: tuple[Message, ...]

    def of_kind(self, kind: str) -> list[Message]:
        return [m for m in self.messages if m.kind == kind]

    def get(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)


def showable(value: Any, where: Location | None, what: str, limit: int = MAX_TEXT) -> str:
    """`value` as the one paragraph a notification shows, or a ConfigError.

    Line breaks and runs of spaces fold into one space, so a `text: |` block
    reads as it would on paper. Any other control character is refused: the
    desktop rejects or garbles it (a NUL fails every delivery, so the message
    would keep coming back). Text of nothing but invisible characters is empty.
    """
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be words, got {describe(value)}", where)
    bad = _CONTROL.search(value)
    if bad:
        raise ConfigError(
            f"{what} has a control character (U+{ord(bad.group()):04X}) at character {bad.start() + 1},"
            " which a notification cannot show; remove it",
            where,
        )
    text = " ".join(value.split())
    if not text:
        raise ConfigError(f"{what} is empty; write some words", where)
    if _INVISIBLE.fullmatch(text):
        raise ConfigError(
            f"{what} is made only of invisible characters (such as zero-width spaces); write some words",
            where,
        )
    if len(text) > limit:
        raise ConfigError(
            f"{what} is {len(text)} characters; keep it to {limit} or fewer so it fits a notification", where
        )
    return text


def load_pack(path: Path, require_section: bool, cache: Path | None = None) -> list[tuple[Message, Location]]:
    """The pack's messages, each with the position of its id.

    A pack that was checked before and hasn't changed since is read from
    `cache` (see jsoncache.py), as JSON, without parsing YAML.
    """
    key = jsoncache.key(path, require_section, _CACHE_FORMAT) if cache else None
    if cache and key:
        cached = _from_rows(jsoncache.get(cache, "pack", key), path)
        if cached is not None:
            return cached
    messages = _parse_pack(path, require_section)
    if cache and key:
        rows = [[m.id, m.kind, m.text, m.section, m.stage, where.line, where.column] for m, where in messages]
        jsoncache.put(cache, "pack", key, rows)
    return messages


def _parse_pack(path: Path, require_section: bool) -> list[tuple[Message, Location]]:
    return pack_messages(yamlfile.read(path), path, require_section)


def pack_messages(data: Any, path: Path, require_section: bool = False) -> list[tuple[Message, Location]]:
    """The messages of a pack read from `path`, checked; a mistake is a ConfigError.

    A file with nothing in it yet (empty, only comments, or only a title) is a
    pack with no messages, so `kindnudge add` can start from it.
    """
    if data is None or (
        isinstance(data, MarkedDict) and not data.keys() - {"title", "description", "source"}
    ):
        return []
    if not isinstance(data, MarkedDict) or "messages" not in data:
        where = data.where if isinstance(data, (MarkedDict, MarkedList)) else Location(path, 1, 1)
        raise ConfigError("a pack is a mapping with a 'messages:' list; see the README", where)
    check_keys(data, _PACK_KEYS, "pack key")
    items = data["messages"]
    if not isinstance(items, MarkedList):
        raise ConfigError(
            f"'messages' must be a list of messages, got {describe(items)}", data.at("messages")
        )
    return [
        (_message(item, items.at(i), path, require_section), item.at("id")) for i, item in enumerate(items)
    ]


def _message(item: Any, where: Location, path: Path, require_section: bool) -> Message:
    if not isinstance(item, MarkedDict):
        raise ConfigError(f"each message is a mapping with id, kind and text, got {describe(item)}", where)
    check_keys(item, _MESSAGE_KEYS, "message key")
    for key in ("id", "kind", "text") + (("section",) if require_section else ()):
        if key not in item:
            raise ConfigError(f"this message has no '{key}'; add one", item.where)
    kind, section = item["kind"], item.get("section")
    message_id = _message_id(item["id"], item.at("id"))
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {describe(kind)}; write one of: {', '.join(KINDS)}", item.at("kind"))
    text = showable(item["text"], item.at("text"), "text")
    if section is not None:
        section = showable(section, item.at("section"), "section")
    stage = item.get("stage")
    if stage is not None and not (isinstance(stage, str) and _ID.fullmatch(stage)):
        raise ConfigError(
            f"stage {describe(stage)} is not a stage name; write one word such as 'first-days'",
            item.at("stage"),
        )
    return Message(message_id, kind, text, section, path.stem, stage)


def _message_id(value: Any, where: Location) -> str:
    """An id as text. A whole number such as `id: 12` is read as "12", as
    numbered lists are natural to write; yes/no values and fractions are
    refused rather than turned into "True" or "1.5"."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ConfigError(f'an id is a word, got {describe(value)}; put it in quotes, e.g. id: "my-1"', where)
    if not _ID.fullmatch(value):
        raise ConfigError(
            f"id {describe(value)} is not usable; use letters, digits, '-', '_' or '.'"
            " (at most 64), e.g. 'write-the-letter'",
            where,
        )
    return value


_CACHE_FORMAT = 3  # 2: text checked for control and invisible characters; 3: stage


def _from_rows(rows: Any, path: Path) -> list[tuple[Message, Location]] | None:
    try:
        return [
            (Message(i, k, t, s, path.stem, g), Location(path, line, col))
            for i, k, t, s, g, line, col in rows
        ]
    except (TypeError, ValueError):  # nothing cached, or not by us
        return None


def load_library(packs: Iterable[tuple[Path, bool]], cache: Path | None = None) -> Library:
    """Load packs in order; the flag says whether each message needs a section.

    Ids must be unique across all packs, because the shuffle bag and history
    refer to messages by id.
    """
    collecting = gc.isenabled()
    gc.disable()  # many small objects, no cycles: collecting made a 100,000-message pack load 4x slower
    try:
        return _collect(packs, cache)
    finally:
        if collecting:
            gc.enable()


def _collect(packs: Iterable[tuple[Path, bool]], cache: Path | None) -> Library:
    messages: list[Message] = []
    first_seen: dict[str, Location] = {}
    for path, require_section in packs:
        for message, where in load_pack(path, require_section, cache):
            if message.id in first_seen:
                raise ConfigError(
                    f"duplicate id '{message.id}' (first at {first_seen[message.id]});"
                    " give each message its own id",
                    where,
                )
            first_seen[message.id] = where
            messages.append(message)
    return Library(tuple(messages))


def builtin_packs(folder: Path) -> list[Path]:
    """The packs in `folder`; journey.yaml beside them is the journey's path, not a pack."""
    return sorted(p for p in folder.glob("*.yaml") if p.name != "journey.yaml")


def load_all(
    builtin_dir: Path, user_packs: Iterable[tuple[Path, Location]], cache: Path | None = None
) -> Library:
    """Built-in packs (which must cite the article) plus the user's own."""
    user = list(user_packs)
    for path, where in user:
        if not yamlfile.exists(path):  # anything else there, the reader says what is wrong
            raise ConfigError(
                f"pack file {path} was not found; fix the path or remove it from content.packs", where
            )
    return load_library(
        [(path, True) for path in builtin_packs(builtin_dir)] + [(path, False) for path, _ in user], cache
    )
