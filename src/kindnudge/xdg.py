"""The XDG base-directory rule, as plain strings.

Apart from paths.py because `kindnudge now`, handed to the running daemon,
must not pay for importing pathlib (see channel.py).
"""

from __future__ import annotations

import os
import sys

APP = "kindnudge"


def xdg_base(variable: str, fallback: str) -> str | None:
    """An absolute $XDG_..._HOME, else `fallback` under your home; None where
    the rule does not apply (macOS, Windows, a home that is no absolute path)."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    value = os.environ.get(variable, "")
    base = value if os.path.isabs(value) else os.path.expanduser(fallback)
    return base if os.path.isabs(base) else None
