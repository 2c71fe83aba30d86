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

MARKER = "kindnudge-autostart"
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
