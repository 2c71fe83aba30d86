"""What kindnudge read from a file, kept as JSON so the next start needn't run PyYAML.

Packs keep their checked messages here, the config its parsed document. An
entry serves only the file it was made from, unchanged: same size,
modification time, inode and status-change time (ctime). The ctime is what no
program can set back: a file rewritten and dated back with `touch -d` or
`os.utime` keeps its size and modification time but gets a new ctime, so it
is read again.

The folder is ~/.cache/kindnudge and is safe to delete; a missing, broken or
unwritable cache only costs time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kindnudge import yamlfile
from kindnudge.errors import KindnudgeError, Location
from kindnudge.marked import MarkedDict, MarkedList

FORMAT = 3  # 3: one cache for packs and config, keyed on ctime and inode too

Key = list


def key(path: Path, *extra: Any) -> Key | None:
    """What must be equal for an entry to be used. None, so nothing is cached, if
    `path` can't be looked at (reading it will say why) or isn't a regular file
    (a pipe or device says nothing about its content)."""
    import stat

    from kindnudge import __version__

    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    stamp = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]
    return [os.path.abspath(path), *stamp, __version__, FORMAT, *extra]


def _file(folder: Path, kind: str, key: Key) -> Path:
    import zlib

    return folder / f"{kind}-{zlib.crc32(os.fsencode(key[0])):08x}.json"


def get(folder: Path, kind: str, key: Key | None) -> Any:
    """The value stored for `key`, or None."""
    if key is None:
        return None
    try:  # read like any file (regular, size-capped): anything may be there
        entry = json.loads(yamlfile.read_text(_file(folder, kind, key), 2 * yamlfile.MAX_PACK_BYTES))
    except (KindnudgeError, ValueError):
        return None
    return entry.get("value") if isinstance(entry, dict) and entry.get("key") == key else None


def put(folder: Path, kind: str, key: Key | None, value: Any) -> None:
    """Best effort: a cache that can't be written only costs time."""
    from kindnudge.paths import ensure_private_dir, replace_atomically

    if key is None:
        return
    try:
        ensure_private_dir(folder)
        replace_atomically(_file(folder, kind, key), json.dumps({"key": key, "value": value}))
    except (OSError, ValueError):
        pass


def dump_document(value: Any) -> Any:
    """A parsed YAML document, positions included, as JSON values. Containers
    become {"map": ...} or {"seq": ...}; a YAML scalar is never a JSON object."""
    if isinstance(value, MarkedDict):
        pairs = [[k, *value.key_at(k)[1:], dump_document(v), *value.at(k)[1:]] for k, v in value.items()]
        return {"map": [*value.where[1:], pairs]}
    if isinstance(value, MarkedList):
        items = [[dump_document(v), *value.at(i)[1:]] for i, v in enumerate(value)]
        return {"seq": [*value.where[1:], items]}
    return value


def load_document(value: Any, path: Path) -> Any:
    """The document `dump_document` made, with its positions in `path`."""
    if not isinstance(value, dict):
        return value
    if "map" in value:
        line, column, pairs = value["map"]
        result = MarkedDict()
        result.where, result.key_where, result.value_where = Location(path, line, column), {}, {}
        for k, kl, kc, v, vl, vc in pairs:
            result[k] = load_document(v, path)
            result.key_where[k], result.value_where[k] = Location(path, kl, kc), Location(path, vl, vc)
        return result
    line, column, items = value["seq"]
    result = MarkedList(load_document(v, path) for v, _, _ in items)
    result.where = Location(path, line, column)
    result.item_where = [Location(path, vl, vc) for _, vl, vc in items]
    return result
