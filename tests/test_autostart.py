"""Autostart entries, checked by the platforms' own validators where we have them."""

from __future__ import annotations

import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kindnudge import autostart, paths

from conftest import run

VENV_BIN = Path(sys.executable).parent


def test_xdg_autostart_entry_is_valid_idempotent_and_removable(home):
    desktop_file = home / "config" / "autostart" / "kindnudge.desktop"
    assert run("autostart", "status").stdout == "autostart: off\n"
    first = run("autostart", "enable")
    assert (
        first.stdout == f"enabled: {desktop_file}\nadded kindnudge to your applications: {app_file(home)}\n"
    )
    assert run("autostart", "enable").stdout == f"already enabled: {desktop_file}\n"
    text = desktop_file.read_text()
    python = next(line for line in text.splitlines() if line.startswith("Exec=")).split()[0][5:]
    assert Path(python).is_absolute() and Path(python).parent == VENV_BIN, "this install's own interpreter"
    assert f"Exec={python} -m kindnudge run\n" in text
    assert f"Icon={paths.icon_file()}\n" in text
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", desktop_file], capture_output=True, text=True)
        assert check.returncode == 0 and check.stdout == "", check.stdout
    assert run("autostart", "status").stdout == f"autostart: on ({desktop_file})\n"
    assert run("autostart", "disable").stdout == f"disabled: removed {desktop_file}\n"
    assert list((home / "config" / "autostart").iterdir()) == []


def app_file(home: Path) -> Path:
    return home / "data" / "applications" / "io.github.kindnudge.Kindnudge.desktop"


def test_the_application_entry_is_valid_shows_a_nudge_and_is_not_named_after_the_app_name(home):
    """GNOME Shell matches a sender to an application by its desktop-entry hint,
    or by app_name + ".desktop"; only the daemon sends the hint (see autostart.app_entry)."""
    from kindnudge.notify import APP_NAME

    app = app_file(home)
    assert run("autostart", "enable", "--systemd").stdout.endswith(
        f"\nadded kindnudge to your applications: {app}\n"
    ), "with either way of starting at login"
    assert app.name != f"{APP_NAME}.desktop"
    assert shutil.which("desktop-file-validate"), "tests/run.sh installs desktop-file-utils"
    check = subprocess.run(["desktop-file-validate", app], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == "", check.stdout
    text = app.read_text()
    assert "\nX-GNOME-UsesNotifications=true\n" in text and "\nName=kindnudge\n" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))[5:]
    opened = subprocess.run([*shlex.split(exec_line), "--dry-run"], capture_output=True, text=True)
    assert opened.returncode == 0 and len(opened.stdout.splitlines()) == 2, "opening it shows a nudge"
    assert "added" not in run("autostart", "enable", "--systemd").stdout, "said once"

    assert run("autostart", "disable", "--systemd").returncode == 0
    assert app.read_text() == text, "disable is about login; kindnudge stays among the applications"
    app.unlink()
    saved = run("setup", "--yes", "--no-test")
    assert f"\nadded kindnudge to your applications: {app}\n" in saved.stdout
    assert app.read_text() == text


def test_an_application_entry_kindnudge_did_not_write_is_left_alone(home):
    app = app_file(home)
    app.parent.mkdir(parents=True)
    app.write_text("[Desktop Entry]\nName=mine\n")
    result = run("autostart", "enable")
    assert result.returncode == 0
    assert result.stdout.endswith(f"\nleft {app} alone: kindnudge did not write it\n")
    assert app.read_text() == "[Desktop Entry]\nName=mine\n"


def test_systemd_unit_is_valid_and_bound_to_the_graphical_session(home):
    unit = home / "config" / "systemd" / "user" / "kindnudge.service"
    wants = unit.parent / "graphical-session.target.wants" / "kindnudge.service"
    assert run("autostart", "enable", "--systemd").returncode == 0
    text = unit.read_text()
    for line in (
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "Restart=on-failure",
        "WantedBy=graphical-session.target",
    ):
        assert line + "\n" in text  # fmt: skip
    (exec_line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert Path(exec_line[10:].split()[0]).parent == VENV_BIN and exec_line.endswith(" -m kindnudge run")
    assert wants.resolve() == unit
    if shutil.which("systemd-analyze"):
        check = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    assert run("autostart", "disable", "--systemd").returncode == 0
    assert not unit.exists() and not wants.is_symlink()


def test_a_file_kindnudge_did_not_write_is_left_alone(home):
    desktop_file = home / "config" / "autostart" / "kindnudge.desktop"
    desktop_file.parent.mkdir(parents=True)
    desktop_file.write_text("[Desktop Entry]\nName=someone else's\n")
    for action in ("enable", "disable"):
        result = run("autostart", action)
        assert result.returncode == 2 and "was not written by kindnudge" in result.stderr
    assert desktop_file.read_text() == "[Desktop Entry]\nName=someone else's\n"


def test_macos_launch_agent_runs_at_load_with_this_interpreter(tmp_path):
    entry = autostart.launchd_entry(tmp_path, "/Users/me/venv/bin/python")
    plist = plistlib.loads(entry.text.encode())
    assert plist["ProgramArguments"] == ["/Users/me/venv/bin/python", "-m", "kindnudge", "run"]
    assert plist["RunAtLoad"] is True
    assert entry.path == tmp_path / "Library" / "LaunchAgents" / "org.kindnudge.daemon.plist"


def test_windows_startup_launcher_uses_pythonw_hidden(tmp_path):
    entry = autostart.windows_entry(tmp_path, r"C:\Users\me\venv\Scripts\python.exe")
    assert entry.path.name == "kindnudge.vbs" and "Startup" in entry.path.parts
    assert r'""C:\Users\me\venv\Scripts\pythonw.exe"" -m kindnudge run' in entry.text
    assert entry.text.rstrip().endswith(", 0, False")  # 0: no console window


@pytest.mark.parametrize("python", ["/opt/my apps/python3", "/tmp/100%/python"])
def test_exec_line_survives_odd_paths(tmp_path, python):
    entry = autostart.xdg_entry(tmp_path, python, Path("/icon.png"))
    exec_line = next(line for line in entry.text.splitlines() if line.startswith("Exec="))
    if " " in python:
        assert exec_line == f'Exec="{python}" -m kindnudge run'
    else:
        assert exec_line == "Exec=/tmp/100%%/python -m kindnudge run"
