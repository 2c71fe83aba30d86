"""The user's own messages, added with `kindnudge add`.

They live in `my-messages.yaml` beside the config file, which is loaded
whenever it exists. Every change is checked as a whole library first and then
written atomically, so a mistake never leaves a half-written file.
"""

from __future__ import annotations

import re
from pathlib import Path

from kindnudge import yamlfile
from kindnudge.errors import UsageError
from kindnudge.library import Library, Message, showable
from kindnudge.paths import replace_atomically
from kindnudge.yamlfile import plain

FILE_NAME = "my-messages.yaml"
_HEADER = (
    "# Your own kindnudge messages. `kindnudge add` and `kindnudge remove` edit this file;\n"
    "# you may edit it too (see the README for the format).\n"
)


def path_for(config_file: Path) -> Path:
    return config_file.parent / FILE_NAME


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    data = plain(yamlfile.read(path)) or {}
    return list(data.get("messages") or [])


def _write(path: Path, messages: list[dict]) -> None:
    import yaml

    text = _HEADER + yaml.safe_dump({"messages": messages}, sort_keys=False, allow_unicode=True, width=100)
    replace_atomically(path, text)


def _new_id(text: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:5] or ["mine"]
    base = "my-" + "-".join(words)
    candidate, n = base[:60], 2
    while candidate in taken:
        candidate, n = f"{base[:56]}-{n}", n + 1
    return candidate


def add(path: Path, text: str, kind: str, library: Library) -> Message:
    text = showable(text, None, "the message")  # the same checks as a pack's text
    same = next((m for m in library.messages if m.text.casefold() == text.casefold()), None)
    if same:
        raise UsageError(f"that message is already there, as '{same.id}'")
    message_id = _new_id(text, {m.id for m in library.messages})
    _write(path, [*_read(path), {"id": message_id, "kind": kind, "text": text}])
    return Message(message_id, kind, text, None, path.stem)


def remove(path: Path, message_id: str, library: Library) -> Message:
    mine = _read(path)
    kept = [m for m in mine if str(m.get("id")) != message_id]
    if len(kept) == len(mine):
        found = library.get(message_id)
        if found:
            raise UsageError(
                f"'{message_id}' comes with the {found.pack} pack, not from `add`;"
                f" to stop seeing it, use `kindnudge hide {message_id}`"
            )
        raise UsageError(f"there is no message '{message_id}'; `kindnudge list` shows them all")
    _write(path, kept)
    return library.get(message_id)
