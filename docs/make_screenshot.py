"""Make docs/notification.png: a real kindnudge notification as a default desktop shows it.

Run from the project root with the test extra installed:
    .venv/bin/python docs/make_screenshot.py
It starts Xvfb, a private session bus and dunst with dunst's own default
look (the dunstrc it ships, /etc/xdg/dunst/dunstrc), sends one nudge with the
installed `kindnudge now`, and crops the screen to the popup.
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

DEFAULT_LOOK = Path("/etc/xdg/dunst/dunstrc")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        desktop = Desktop(Path(folder), look=DEFAULT_LOOK.read_text()).start()
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
                "640x400+640+0",  # the top-right corner, where dunst puts it
                "+repage",
                "-trim",  # down to the popup: the screen around it is black
                "+repage",
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
