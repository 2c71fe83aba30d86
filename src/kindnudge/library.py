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

from kindnudge import yamlfile
from kindnudge.errors import ConfigError, KindnudgeError, Location
from kindnudge.yamlfile import MarkedDict, MarkedList, check_keys, describe

KINDS = ("reframe", "self-care")
MAX_TEXT = 200
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PACK_KEYS = ("messages", "title", "description", "source")
_MESSAGE_KEYS = ("id", "kind", "text", "section")


class Message(NamedTuple):
    """One nudge. A tuple for the same reason as Location: packs can be big."""

    id: str
    kind: str
    text: str
    section: str | None
    pack: str


class Library(NamedTuple):
    messages: tuple[Message, ...]

    def of_kind(self, kind: str) -> list[Message]:
        return [m for m in self.messages if m.kind == kind]

    def get(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)


def load_pack(
    path: Path, require_section: bool = False, cache: Path | None = None
) -> list[tuple[Message, Location]]:
    """The pack's messages, each with the position of its id.

    A pack that was checked before and hasn't changed since (same size and
    modification time) is read from `cache`, as JSON, without parsing YAML.
    """
    key = _cache_key(path, require_section) if cache else None
    if cache and key:
        cached = _from_cache(cache, key, path)
        if cached is not None:
            return cached
    messages = _parse_pack(path, require_section)
    if cache and key:
        _to_cache(cache, key, messages)
    return messages


def _parse_pack(path: Path, require_section: bool) -> list[tuple[Message, Location]]:
    data = yamlfile.read(path)
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
    message_id, kind, text = item["id"], item["kind"], item["text"]
    section = item.get("section")
    if not isinstance(message_id, (str, int)) or not _ID.match(str(message_id)):
        raise ConfigError(
            f"id {describe(message_id)} is not usable; use letters, digits, '-', '_' or '.'"
            " (at most 64), e.g. 'write-the-letter'",
            item.at("id"),
        )
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {describe(kind)}; write one of: {', '.join(KINDS)}", item.at("kind"))
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"text must be words, got {describe(text)}", item.at("text"))
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise ConfigError(
            f"text is {len(text)} characters; keep it to {MAX_TEXT} or fewer so it fits a notification",
            item.at("text"),
        )
    if section is not None and not (isinstance(section, str) and section.strip()):
        raise ConfigError(f"section must be a heading's words, got {describe(section)}", item.at("section"))
    return Message(str(message_id), kind, text, section, path.stem)


_CACHE_FORMAT = 1


def _cache_key(path: Path, require_section: bool) -> list | None:
    """What the cache must match; None when `path` is no regular file (the
    reader then says what is wrong with it)."""
    import stat

    from kindnudge import __version__

    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return [str(path.resolve()), info.st_size, info.st_mtime_ns, require_section, __version__, _CACHE_FORMAT]


def _cache_file(cache: Path, key: list) -> Path:
    import zlib

    return cache / f"pack-{zlib.crc32(key[0].encode()):08x}.json"


def _from_cache(cache: Path, key: list, path: Path) -> list[tuple[Message, Location]] | None:
    """The cached messages, or None if the cache is missing, stale or damaged;
    read like any file (regular, size-capped), since anything may be there."""
    import json

    try:
        data = json.loads(yamlfile.read_text(_cache_file(cache, key), 2 * yamlfile.MAX_PACK_BYTES))
        if data["key"] != key:
            return None
        return [
            (Message(i, k, t, s, path.stem), Location(path, line, col))
            for i, k, t, s, line, col in data["messages"]
        ]
    except (KindnudgeError, ValueError, TypeError, KeyError):
        return None


def _to_cache(cache: Path, key: list, messages: list[tuple[Message, Location]]) -> None:
    """Best effort: a cache that can't be written only costs time."""
    import json

    from kindnudge.paths import ensure_private_dir, replace_atomically

    rows = [[m.id, m.kind, m.text, m.section, where.line, where.column] for m, where in messages]
    try:
        ensure_private_dir(cache)
        replace_atomically(
            _cache_file(cache, key), json.dumps({"key": key, "messages": rows}, ensure_ascii=False)
        )
    except OSError:
        pass


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
    return sorted(folder.glob("*.yaml"))


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
