"""`kindnudge config edit`: your editor, with a safety net.

The file is checked after every save. If it is broken, the editor opens again
with the problem written at the top; if you give up, the last working version
is put back, so nothing that worked is lost.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kindnudge import yamlfile
from kindnudge.errors import ConfigError, UsageError

PROBLEM = "# kindnudge: "  # the lines we add above a broken file, and remove again


def editor() -> list[str]:
    for candidate in (os.environ.get("VISUAL"), os.environ.get("EDITOR")):
        if candidate:
            return shlex.split(candidate)
    for fallback in ("nano", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise UsageError("no editor found; set EDITOR, e.g. EDITOR=nano kindnudge config edit")


def _strip_problem(text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(PROBLEM):
        lines.pop(0)
    return "".join(lines)


def edit(path: Path, check: Callable[[], Any], ask: Callable[[str], str] = input) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not yamlfile.exists(path):
        from kindnudge.configfile import render

        path.write_text(render({}), encoding="utf-8")
    good = yamlfile.read_text(path, yamlfile.MAX_CONFIG_BYTES)  # refuses a pipe, a device, a broken link
    while True:
        subprocess.run([*editor(), str(path)], check=False)
        path.write_text(_strip_problem(yamlfile.read_text(path, yamlfile.MAX_CONFIG_BYTES)), encoding="utf-8")
        try:
            check()
        except ConfigError as exc:
            print(f"kindnudge: {exc}")
            answer = ask("Fix it now? [Y/n] ").strip().lower()
            if answer in ("n", "no"):
                path.write_text(good, encoding="utf-8")
                print("Put back your last working config; nothing was lost.")
                return 2
            where = exc.where
            here = where and where.line and Path(where.path) == path  # (the mistake may be in a pack)
            note = (
                f"line {where.line + 1}, column {where.column}: " if here else f"{where}: " if where else ""
            )
            path.write_text(
                f"{PROBLEM}{note}{exc.message}\n" + path.read_text(encoding="utf-8"), encoding="utf-8"
            )
            continue
        print(f"Saved {path}. A running `kindnudge run` picks it up by itself.")
        return 0
