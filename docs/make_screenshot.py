"""Make docs/notification.png: a real kindnudge notification on a headless desktop.

Run from the project root with the test extra installed:
    .venv/bin/python docs/make_screenshot.py
It starts Xvfb, a private session bus and dunst (tests/desktop.py), sends one
nudge with the installed `kindnudge now`, and crops the screen to the popup.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from desktop import Desktop  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        desktop = Desktop(Path(folder)).start()
        try:
            env = {**os.environ, **desktop.env, "XDG_STATE_HOME": folder, "XDG_CONFIG_HOME": folder}
            kindnudge = Path(sys.executable).with_name("kindnudge")
            subprocess.run([kindnudge, "now", "--kind", "reframe"], env=env, check=True)
            desktop.received(1)
            shot = Path(folder) / "screen.png"
            desktop.screenshot(shot)
        finally:
            desktop.stop()
        target = ROOT / "docs" / "notification.png"
        subprocess.run(
            [
                "convert",
                shot,
                "-crop",
                "480x400+780+20",
                "+repage",
                "-trim",
                "-bordercolor",
                "#2b2b2b",
                "-border",
                "12",
                target,
            ],
            check=True,
        )
        print(target)


if __name__ == "__main__":
    main()
