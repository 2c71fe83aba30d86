"""A `kindnudge run` process for tests, and small helpers around it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import KINDNUDGE, run

UTC = timezone.utc


class Daemon:
    """One `kindnudge run` process and its log."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log = Path(os.environ["XDG_STATE_HOME"]) / "kindnudge" / "kindnudge.log"
        self.stderr = Path(os.environ["XDG_STATE_HOME"]).with_name(f"daemon-stderr-{time.monotonic_ns()}.txt")
        with open(self.stderr, "w") as err:  # a file, not a pipe: a full pipe would stall the daemon
            self.proc = subprocess.Popen(
                [KINDNUDGE, "run"], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err
            )
        self.wait_for(f"started (pid {self.proc.pid})")

    def log_text(self) -> str:
        """This process's part of the log (a restarted daemon appends to the same file)."""
        text = self.log.read_text() if self.log.exists() else ""
        mine = text.find(f"started (pid {self.proc.pid})")
        return text[text.rfind("\n", 0, mine) + 1 :] if mine >= 0 else ""

    def wait_for(self, words: str, timeout: float = 10, times: int = 1) -> str:
        """Wait until `words` are in this process's log, `times` times."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if text.count(words) >= times:
                return text
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.stderr.read_text()}")
            time.sleep(0.02)
        raise AssertionError(f"{words!r} not in the log:\n{self.log_text()}")

    def stop(self) -> float:
        """SIGTERM; returns how long the daemon took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(5) == 0, self.stderr.read_text()
        return time.monotonic() - started


def next_minute(ahead: int = 2) -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


def started_before(due: datetime, fake_clock, daemons, env: dict | None = None) -> Daemon:
    """A daemon whose slot at `due` comes just after it has started, however
    slowly a loaded machine starts it: it starts half a minute early by its
    clock, which then jumps to half a second before `due` (the heartbeat sees
    the jump at once)."""
    fake_clock.set((due - timedelta(seconds=30) - datetime.now(UTC)).total_seconds())
    daemon = daemons({"KINDNUDGE_HEARTBEAT": "0.1", **fake_clock.env, **(env or {})})
    daemon.wait_for("started", timeout=30)
    fake_clock.set((due - timedelta(seconds=0.5) - datetime.now(UTC)).total_seconds())
    return daemon


def history() -> list[dict]:
    return json.loads(run("history", "--json", "-n", "50").stdout)


def schedule(config_file: Path, *times: datetime, extra: str = "") -> None:
    rules = "".join(f"  - name: r{t:%H%M}\n    at: '{t:%H:%M}'\n" for t in times)
    config_file.write_text(f"timezone: UTC\nquiet_hours: []\n{extra}schedule:\n{rules}")
