"""Make docs/notification.png, docs/buttons.png and docs/discreet.png: real
kindnudge notifications.

Run from the project root with the test extra installed:
    .venv/bin/python docs/make_screenshot.py
notification.png: Xvfb, a private session bus and dunst with dunst's own
default look (the dunstrc it ships, /etc/xdg/dunst/dunstrc), one nudge sent
by the installed `kindnudge now`, the screen cropped to the popup.
buttons.png: the same, with xfce4-notifyd (Debian's package of that name),
which draws a notification's buttons as GNOME does, and `now` handed to a
running `kindnudge run`, so the nudge comes with its buttons. discreet.png:
the same with `notification.discreet: true`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from desktop import Desktop  # noqa: E402

DEFAULT_LOOK = Path("/etc/xdg/dunst/dunstrc")


KINDNUDGE = Path(sys.executable).with_name("kindnudge")
XFCE_NOTIFYD = Path("/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        desktop = Desktop(Path(folder), look=DEFAULT_LOOK.read_text()).start()
        try:
            subprocess.run([KINDNUDGE, "now", "--kind", "reframe"], env=home(desktop, folder), check=True)
            desktop.received(1)
            shot = Path(folder) / "screen.png"
            desktop.screenshot(shot)
        finally:
            desktop.stop()
        crop(shot, ROOT / "docs" / "notification.png")
    with_buttons(ROOT / "docs" / "buttons.png")
    with_buttons(ROOT / "docs" / "discreet.png", "notification:\n  discreet: true\n")


def with_buttons(target: Path, config: str = "") -> None:
    """A nudge from a running `kindnudge run`, as xfce4-notifyd draws it."""
    with tempfile.TemporaryDirectory() as folder:
        desktop = Desktop(Path(folder)).start(with_server=False)
        env = home(desktop, folder)
        if config:
            (Path(folder) / "kindnudge").mkdir()
            (Path(folder) / "kindnudge" / "config.yaml").write_text(config)
        server = subprocess.Popen([XFCE_NOTIFYD], env=env, stderr=subprocess.DEVNULL)
        daemon = subprocess.Popen([KINDNUDGE, "run"], env=env, stderr=subprocess.DEVNULL)
        try:
            socket = Path(env["XDG_RUNTIME_DIR"]) / "kindnudge" / "daemon.sock"
            deadline = time.monotonic() + 10
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            subprocess.run([KINDNUDGE, "now", "--kind", "reframe"], env=env, check=True)
            time.sleep(1.5)  # xfce4-notifyd fades the popup in
            shot = Path(folder) / "screen.png"
            desktop.screenshot(shot)
        finally:
            daemon.terminate()
            server.terminate()
            desktop.stop()
        crop(shot, target)


def home(desktop: Desktop, folder: str) -> dict[str, str]:
    """The desktop's session, and a fresh home for kindnudge's files."""
    runtime = Path(folder) / "runtime"
    runtime.mkdir(mode=0o700)
    return {
        **os.environ,
        **desktop.env,
        "XDG_STATE_HOME": folder,
        "XDG_CONFIG_HOME": folder,
        "XDG_DATA_HOME": folder,
        "XDG_RUNTIME_DIR": str(runtime),
    }


def crop(shot: Path, target: Path) -> None:
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
