"""Starting `kindnudge run` with the desktop session, one way per platform.

Each entry runs the daemon with this install's own interpreter (an absolute
path), never a shell wrapper. `enable` is idempotent; `disable` removes only
what `enable` wrote, recognised by a marker inside the file.

Rendering is pure (paths and platform passed in); only `enable`, `disable`
and `status` touch the file system.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from typing import NamedTuple

from kindnudge.errors import UsageError
from kindnudge.paths import replace_atomically

MARKER = "kindnudge-autostart"
DESKTOP_ID = "io.github.kindnudge.Kindnudge"  # the desktop file's name; the daemon's desktop-entry hint
LAUNCHD_LABEL = "org.kindnudge.daemon"


class Entry(NamedTuple):
    """A file to write, and the link that switches it on (systemd only)."""

    path: Path
    text: str
    link: Path | None = None


def _quote_exec(arg: str) -> str:
    """Desktop Entry Exec quoting: wrap in quotes when needed, escape within."""
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def command(python: str) -> list[str]:
    return [python, "-m", "kindnudge", "run"]


def xdg_entry(config_home: Path, python: str, icon: Path) -> Entry:
    exec_line = " ".join(_quote_exec(a) for a in command(python)).replace("%", "%%")
    text = (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=kindnudge\n"
        "Comment=Gentle reminders while you heal\n"
        f"Exec={exec_line}\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        f"X-Kindnudge={MARKER}\n"
    )
    return Entry(config_home / "autostart" / "kindnudge.desktop", text)


def app_entry(data_home: Path, python: str, icon: Path) -> Entry:
    """kindnudge among your applications, so that GNOME and KDE can name it in
    their notification settings; opening it shows a nudge (`now`).

    Its id is not the app_name `kindnudge`: GNOME Shell recognises a sender as
    this application by the `desktop-entry` hint or by app_name + ".desktop",
    and removes a recognised sender's notifications when it leaves the bus. Only
    the daemon sends the hint, so a short-lived sender (a `now` on its own,
    setup's test) is never recognised, and its nudge stays on screen.
    """
    exec_line = " ".join(_quote_exec(a) for a in [python, "-m", "kindnudge", "now"]).replace("%", "%%")
    text = (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=kindnudge\n"
        "Comment=Show a gentle nudge now\n"
        f"Exec={exec_line}\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "StartupNotify=false\n"
        "Categories=Utility;\n"
        "X-GNOME-UsesNotifications=true\n"
        f"X-Kindnudge={MARKER}\n"
    )
    return Entry(data_home / "applications" / f"{DESKTOP_ID}.desktop", text)


def app_entry_for(platform: str, python: str, icon: Path) -> Entry | None:
    """The application entry where desktops read one (XDG: Linux and the BSDs)."""
    if platform in ("darwin", "win32"):
        return None
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return app_entry(base, python, icon)


def add_app(entry: Entry | None) -> str | None:
    """Write the application entry; a line to print when it is new or changed.
    A file of that name that kindnudge did not write is left as it is."""
    if entry is None:
        return None
    if entry.path.exists() and not _ours(entry.path):
        return f"left {entry.path} alone: kindnudge did not write it"
    if entry.path.exists() and entry.path.read_text(encoding="utf-8") == entry.text:
        return None
    replace_atomically(entry.path, entry.text)
    return f"added kindnudge to your applications: {entry.path}"


def systemd_entry(config_home: Path, python: str) -> Entry:
    exec_line = " ".join(f'"{a}"' if " " in a else a for a in command(python))
    text = (
        f"# {MARKER}: written by `kindnudge autostart enable --systemd`\n"
        "[Unit]\n"
        "Description=kindnudge: gentle reminders while you heal\n"
        "PartOf=graphical-session.target\n"
        "After=graphical-session.target\n"
        "\n"
        "[Service]\n"
        f"ExecStart={exec_line}\n"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        "\n"
        "[Install]\n"
        "WantedBy=graphical-session.target\n"
    )
    unit_dir = config_home / "systemd" / "user"
    return Entry(
        unit_dir / "kindnudge.service",
        text,
        unit_dir / "graphical-session.target.wants" / "kindnudge.service",
    )


def launchd_entry(home: Path, python: str) -> Entry:
    plist = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": command(python),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
        "Comment": MARKER,
    }
    return Entry(home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist", plistlib.dumps(plist).decode())


def windows_entry(appdata: Path, python: str) -> Entry:
    pythonw = str(PureWindowsPath(python).with_name("pythonw.exe"))
    run = f'""{pythonw}"" -m kindnudge run'
    text = f'\' {MARKER}\r\nCreateObject("WScript.Shell").Run "{run}", 0, False\r\n'
    startup = appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
    return Entry(startup / "kindnudge.vbs", text)


def entry_for(platform: str, systemd: bool, python: str, icon: Path) -> Entry:
    home = Path.home()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    if platform == "darwin":
        return launchd_entry(home, python)
    if platform == "win32":
        return windows_entry(Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming"), python)
    if systemd:
        return systemd_entry(config_home, python)
    return xdg_entry(config_home, python, icon)


def _ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def enable(entry: Entry) -> str:
    if entry.path.exists() and not _ours(entry.path):
        raise UsageError(f"{entry.path} exists and was not written by kindnudge; move it away first")
    unchanged = entry.path.exists() and entry.path.read_text(encoding="utf-8") == entry.text
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    entry.path.write_text(entry.text, encoding="utf-8")
    if entry.link:
        entry.link.parent.mkdir(parents=True, exist_ok=True)
        if not entry.link.is_symlink():
            entry.link.symlink_to(entry.path)
        _systemctl("daemon-reload")
    return f"{'already enabled' if unchanged else 'enabled'}: {entry.path}"


def disable(entry: Entry) -> str:
    if not entry.path.exists():
        return "autostart was not enabled"
    if not _ours(entry.path):
        raise UsageError(f"{entry.path} was not written by kindnudge; leaving it alone")
    entry.path.unlink()
    if entry.link and entry.link.is_symlink():
        entry.link.unlink()
        _systemctl("daemon-reload")
    return f"disabled: removed {entry.path}"


def status(entry: Entry) -> str:
    if not entry.path.exists():
        return "autostart: off"
    state = "on" if _ours(entry.path) else "a file kindnudge did not write is in the way"
    return f"autostart: {state} ({entry.path})"


def _systemctl(*args: str) -> None:
    """Tell a running systemd user instance, if there is one; harmless otherwise."""
    if shutil.which("systemctl") and sys.platform.startswith("linux"):
        subprocess.run(["systemctl", "--user", *args], capture_output=True, timeout=10, check=False)
