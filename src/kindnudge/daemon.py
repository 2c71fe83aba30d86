"""`kindnudge run`: the background daemon. APScheduler lives here and only here.

The scheduler's one job is driven by a trigger that asks the same Plan as
`kindnudge next`. Each firing settles everything due since the last recorded
moment (catchup.py), so late wake-ups, clock jumps and downtime are handled
by one code path, with the outcome committed to SQLite in one transaction.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import logging.handlers
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from random import Random
from typing import IO, NamedTuple

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from kindnudge import instance
from kindnudge.catchup import decide
from kindnudge.config import Config
from kindnudge.errors import KindnudgeError, machine_error
from kindnudge.library import Library
from kindnudge.notify import Alongside, Chain, Notification
from kindnudge.nudge import Claim, claim, deliver
from kindnudge.paths import open_private
from kindnudge.planner import Plan, Slot, kind_label
from kindnudge.state import HistoryEntry, State
from kindnudge.watch import Watcher

log = logging.getLogger("kindnudge")

HANDLED_UNTIL = "handled_until"
PAUSED_UNTIL = "paused_until"
_JOB = "nudges"
_M_ARENA_MAX = -8
_SIGNALS = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT} if hasattr(signal, "SIGHUP") else set()


class Loaded(NamedTuple):
    """Everything a config file determines; swapped whole on reload."""

    config: Config
    library: Library
    plan: Plan
    notifier: Chain | Alongside


class PlanTrigger(BaseTrigger):
    """APScheduler asks this for the next run time; the Plan answers."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        following = self.plan.upcoming(previous_fire_time or now, 1)
        return following[0].at if following else None


class Daemon:
    def __init__(
        self,
        load: Callable[[], Loaded],
        state_path: Path,
        config_file: Path | None,
        clock: Callable[[], datetime],
        rng: Random | None = None,
    ) -> None:
        self.load = load
        self.state_path = state_path
        self.config_file = config_file
        self.clock = clock
        self.rng = rng or Random()
        self.current: Loaded | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.handled: datetime | None = None  # handled_until as last saved: the file may be deleted

    # -- what a firing does (also called directly by tests) -------------------

    def settle(self) -> None:
        """Handle every slot due since the last recorded moment, exactly once."""
        try:
            self._settle()
        finally:
            release_free_memory()

    def _settle(self) -> None:
        loaded, now = self.current, self.clock()
        with State(self.state_path) as state:
            note = state.untold_repair()
            if note:
                log.warning("%s", note)
                self._tell_user(f"{note[0].upper()}{note[1:]}.", "kindnudge: your saved state was repaired")
            with state.transaction():
                saved = (state.get_moment(HANDLED_UNTIL), self.handled)  # a replaced file may have none
                handled = max((m for m in saved if m), default=None)
                if handled is not None and now <= handled:
                    return  # the clock went back: all of this was handled already
                due = loaded.plan.between(handled, now) if handled else []
                paused = state.get_moment(PAUSED_UNTIL)
                decision = decide(due, now, loaded.config.catch_up, loaded.config.quiet_hours, paused)
                for slot, reason in decision.skip:
                    log.warning("skipped %s (%s): %s", slot.at.isoformat(), slot.rule, reason)
                    entry = HistoryEntry(
                        now, slot.rule, kind_label(slot.kinds), None, None, "skipped", reason, slot.at
                    )
                    state.record(entry)
                claimed = self._claim(decision.show, state, now) if decision.show else None
                state.set_moment(HANDLED_UNTIL, now)
            self.handled = now
            if claimed:
                self._show(decision.show, claimed, state, now)

    def _claim(self, slot: Slot, state: State, now: datetime) -> Claim:
        loaded = self.current
        kinds = [k for k in slot.kinds if k in loaded.config.kinds] or list(slot.kinds)
        return claim(loaded.library, loaded.config, kinds, state, now, self.rng, slot.rule, slot.at)

    def _show(self, slot: Slot, claimed: Claim, state: State, now: datetime) -> None:
        result = deliver(claimed, self.current.config, self.current.notifier, state)
        late = (now - slot.at).total_seconds()
        if result.error:
            log.error("delivery failed for %s (%s): %s", slot.at.isoformat(), slot.rule, result.error)
        else:
            log.info(
                "delivered %s for %s (%s), %.3fs after its time",
                result.message.id,
                slot.at.isoformat(),
                slot.rule,
                late,
            )

    # -- life cycle -----------------------------------------------------------

    def run(self) -> int:
        gc.enable()  # `cli.entry` turns it off for short commands; a day-long run needs it
        share_one_heap()
        lock = instance.acquire(instance.lock_path(self.state_path))
        try:
            self.current = self.load()
            with State(self.state_path) as state:  # one statement: atomic, and asked again if repaired
                if state.interrupted():
                    log.warning(
                        "the last run stopped while showing a nudge; marked it interrupted in history"
                    )
            if _SIGNALS:
                signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # before any thread starts
            self.settle()  # catch up on whatever came due while we were off
            self.scheduler = BackgroundScheduler(
                executors={"default": DebugExecutor()},
                job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
                timezone=timezone.utc,
            )
            self.scheduler.add_job(self.settle, PlanTrigger(self.current.plan), id=_JOB, name="nudges")
            self.scheduler.start()
            watcher = Watcher(self.config_file, self.on_clock_jump, self.request_reload)
            watcher.start()
            release_free_memory()
            log.info("started (pid %d); %s; clock watch: %s", os.getpid(), self._next_text(), watcher.mode)
            self._wait_for_signals()
            log.info("stopping")
            self.scheduler.shutdown(wait=True)
            watcher.stop()
            return 0
        finally:
            lock.close()

    def _wait_for_signals(self) -> None:
        if not _SIGNALS:  # Windows: no sigwait; Ctrl+C raises KeyboardInterrupt
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return
        while True:
            received = signal.sigwait(_SIGNALS)
            if received == signal.SIGHUP:
                self.reload()
            else:
                return

    def request_reload(self) -> None:
        """From the watcher thread: reload in the main thread, like SIGHUP."""
        log.info("config file changed")
        os.kill(os.getpid(), signal.SIGHUP)

    def on_clock_jump(self) -> None:
        log.info("the wall clock moved (resume from sleep or a clock change); re-checking the schedule")
        self.scheduler.wakeup()

    def reload(self) -> None:
        """Swap in the new config, or keep the old schedule and say why."""
        try:
            loaded = self.load()
        except KindnudgeError as exc:
            log.error("new config not used, keeping the previous schedule: %s", exc)
            self._tell_user(f"{exc}. Your previous schedule keeps running until this is fixed.")
            return
        self.current = loaded
        self.scheduler.reschedule_job(_JOB, trigger=PlanTrigger(loaded.plan))
        log.info("config reloaded; %s", self._next_text())

    def _tell_user(self, text: str, title: str = "kindnudge: your config needs a look") -> None:
        loaded = self.current
        notice = Notification(title, text[:400], loaded.config.timeout)
        try:
            loaded.notifier.send(notice)
        except KindnudgeError as exc:
            log.error("could not show that notice either: %s", exc)

    def _next_text(self) -> str:
        following = self.current.plan.upcoming(self.clock(), 1)
        return (
            f"next nudge {following[0].at.isoformat()} ({following[0].rule})"
            if following
            else "nothing scheduled"
        )


def _glibc(call: str, *args: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):  # not glibc
            getattr(ctypes.CDLL(None), call)(*args)


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS, so hours of idling stay small."""
    _glibc("malloc_trim", 0)


def share_one_heap() -> None:
    """One malloc arena for all our threads: they are idle almost always, and a
    per-thread arena would keep its pages resident for nothing."""
    _glibc("mallopt", _M_ARENA_MAX, 1)


class PrivateLog(logging.handlers.RotatingFileHandler):
    """The log file, opened (and opened again after rotating) without following
    a symlink: a planted `kindnudge.log -> some-file` is refused, never written."""

    def _open(self) -> IO[str]:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """One line on stderr instead of logging's traceback."""
        with contextlib.suppress(OSError, ValueError):
            print(
                f"kindnudge: cannot write the log {self.baseFilename}: {sys.exc_info()[1]}", file=sys.stderr
            )


def setup_logging(log_file: Path) -> None:
    """A rotated file in the state folder, and stderr; both one line per event."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    try:
        to_file = PrivateLog(log_file, maxBytes=512 * 1024, backupCount=3, encoding="utf-8")
    except OSError as exc:
        raise machine_error(exc, None, "open the log") from None
    to_stderr = logging.StreamHandler(sys.stderr)
    for handler in (to_file, to_stderr):
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").addHandler(to_file)
