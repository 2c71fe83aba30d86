"""The user's own messages, added with `kindnudge add`.

They live in `my-messages.yaml` beside the config file, which is loaded
whenever it exists. `add` and `remove` change only the lines of that one
message (yamledit.py), so the user's comments, title and layout stay as they
wrote them. Every new text is parsed again and checked as a pack before it
replaces the file, atomically and with the file's own permissions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindnudge import yamlfile
from kindnudge.errors import ConfigError, Location, UsageError, machine_error
from kindnudge.library import Library, Message, showable
from kindnudge.paths import real_file, replace_atomically
from kindnudge.yamlfile import plain

if TYPE_CHECKING:
    from collections.abc import Callable

FILE_NAME = "my-messages.yaml"
_HEADER = (
    "# Your own kindnudge messages. `kindnudge add` and `kindnudge remove` edit this file;\n"
    "# you may edit it too (see the README for the format).\n"
)


def path_for(config_file: Path) -> Path:
    return config_file.parent / FILE_NAME


def clear(path: Path) -> bool:
    """Forget every message of one's own, unread (a broken file goes too), and
    the old text an earlier rewrite kept beside it. An empty pack stays, so a
    config that names it still works. False if there was nothing."""
    backup = path.with_name(path.name + ".bak")
    found = path.exists() or backup.exists()
    try:
        if path.exists():
            replace_atomically(real_file(path), _HEADER + "messages: []\n")
        backup.unlink(missing_ok=True)
    except OSError as exc:
        raise machine_error(exc, path, "erase your own messages") from None
    return found


def _new_id(text: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:5] or ["mine"]
    base = "my-" + "-".join(words)
    candidate, n = base[:60], 2
    while candidate in taken:
        candidate, n = f"{base[:56]}-{n}", n + 1
    return candidate


def add(path: Path, text: str, kind: str, library: Library) -> tuple[Message, Path | None]:
    """The message added, and where the file's old text was kept if it had to be written afresh."""
    from kindnudge import yamledit

    text = showable(text, None, "the message")  # the same checks as a pack's text
    same = next((m for m in library.messages if m.text.casefold() == text.casefold()), None)
    if same:
        raise UsageError(f"that message is already there, as '{same.id}'")
    item = {"id": _new_id(text, {m.id for m in library.messages}), "kind": kind, "text": text}
    path = _real(path)
    old, data = _read(path)
    messages = [*_messages(data), item]
    backup = _save(path, old, data, messages, lambda: yamledit.append(old, "messages", item))
    return Message(item["id"], kind, text, None, path.stem), backup


def remove(path: Path, message_id: str, library: Library) -> tuple[Message, Path | None]:
    """The message removed, and where the file's old text was kept if it had to be written afresh."""
    from kindnudge import yamledit

    path = _real(path)
    old, data = _read(path)
    mine = _messages(data)
    index = next((i for i, m in enumerate(mine) if str(m.get("id")) == message_id), None)
    found = library.get(message_id)
    if index is None:
        if found:
            raise UsageError(
                f"'{message_id}' comes with the {found.pack} pack, not from `add`;"
                f" to stop seeing it, use `kindnudge hide {message_id}`"
            )
        raise UsageError(f"there is no message '{message_id}'; `kindnudge list` shows them all")
    kept = mine[:index] + mine[index + 1 :]
    backup = _save(path, old, data, kept, lambda: yamledit.delete(old, "messages", index))
    return found or Message(message_id, str(mine[index].get("kind")), "", None, path.stem), backup


def _real(path: Path) -> Path:
    """Where to write: through a link the user made, never over a broken one."""
    if path.is_symlink() and not path.exists():
        raise ConfigError(
            "a symbolic link to a file that isn't there; fix the link or remove it", Location(path)
        )
    return real_file(path)


def _read(path: Path) -> tuple[str, Any]:
    """The file's text and what it says; a file not there yet is our header and nothing."""
    if not yamlfile.exists(path):
        return _HEADER, None
    text = yamlfile.read_text(path)  # refuses a pipe, a device, a broken link; line endings kept
    return text, yamlfile.parse(text, path)


def _messages(data: Any) -> list:
    return list(data.get("messages") or []) if isinstance(data, dict) else []


def _save(path: Path, old: str, data: Any, messages: list, edit: Callable[[], str]) -> Path | None:
    """Write `edit()` if it reads back as exactly `data` with these messages; else the
    whole file afresh, keeping its other keys and its old text beside it."""
    from kindnudge import yamledit
    from kindnudge.library import pack_messages

    expected = {**(plain(data) if isinstance(data, dict) else {}), "messages": plain(messages)}
    backup = None
    try:
        text = edit()
        new = yamlfile.parse(text, path)
        if plain(new) != expected:
            raise yamledit.CannotEdit("the edit reads back differently")
    except (yamledit.CannotEdit, ConfigError):
        text = _HEADER + yamledit.dump(expected)
        new = yamlfile.parse(text, path)
        if plain(new) != expected:
            raise ConfigError(
                "kindnudge can't change this file safely, so it left it as it was; edit it by hand",
                Location(path),
            ) from None
        backup = path.with_name(path.name + ".bak")
    try:
        pack_messages(new, path)  # the same checks as loading it
    except ConfigError as exc:
        raise UsageError(f"kindnudge can't use that message: {exc.message}") from None
    try:
        if backup:
            replace_atomically(backup, old)
        replace_atomically(path, text)
    except OSError as exc:
        raise machine_error(exc, path, "save your messages") from None
    return backup
