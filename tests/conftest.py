"""Shared fixtures: an isolated home for every test, and a real desktop on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import mutation_plugin

import faketime
from desktop import Desktop, WindowManager

KINDNUDGE = str(Path(sys.executable).with_name("kindnudge"))


def pytest_configure(config: pytest.Config) -> None:
    if mutation_plugin.under_mutmut():
        config.pluginmanager.register(mutation_plugin)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config and state folders, as a fresh user would."""
    for var in ("KINDNUDGE_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "runtime"))
    (tmp_path / "runtime").mkdir(mode=0o700)
    return tmp_path


@pytest.fixture
def config_file(home: Path) -> Path:
    """Where kindnudge looks for config by default, under this test's XDG_CONFIG_HOME."""
    path = home / "config" / "kindnudge" / "config.yaml"
    path.parent.mkdir(parents=True)
    return path


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """Xvfb + a private session bus + dunst, with its address in this test's environment."""
    session = Desktop(tmp_path / "desktop").start()
    for key, value in session.env.items():
        monkeypatch.setenv(key, value)
    yield session
    session.stop()


@pytest.fixture
def window_manager(desktop: Desktop) -> Iterator[WindowManager]:
    """openbox on the test's Xvfb, for tests about windows (fullscreen)."""
    manager = WindowManager(desktop).start()
    yield manager
    manager.stop()


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run the installed `kindnudge` script as a user would, in a separate process."""
    return subprocess.run(
        [KINDNUDGE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture
def fake_clock(tmp_path: Path) -> faketime.FakeClock:
    """A movable wall clock for the processes started with `fake_clock.env`."""
    if not faketime.library():
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    return faketime.FakeClock(tmp_path / "faketime")


@pytest.fixture
def daemons() -> Iterator:
    """Start `kindnudge run` processes; any left running are killed afterwards."""
    from running import Daemon

    started: list[Daemon] = []

    def start(env: dict[str, str] | None = None) -> Daemon:
        started.append(Daemon(env or {}))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
