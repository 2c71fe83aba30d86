"""`kindnudge run`: the background daemon. APScheduler lives here and only here.

The scheduler's one job is driven by a trigger that asks the same Plan as
`kindnudge next`. Each firing settles everything due since the last recorded
moment (catchup.py), so late wake-ups, clock jumps and downtime are handled
by one code path, with the outcome committed to SQLite in one transaction.
A firing that could not use the state is tried again every RETRY, not left
for the next slot: within `catch_up` its nudge still comes.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from kindnudge import instance, knobs
from kindnudge.buttons import Buttons
from kindnudge.errors import DeliveryError, MachineError
from kindnudge.firing import Firing, Loaded
from kindnudge.handover import Handover
from kindnudge.notify import Notification
from kindnudge.planner import Plan, Slot
from kindnudge.reloading import OneAtATime, Reloads
from kindnudge.state import State
from kindnudge.timetext import when
from kindnudge.watch import Watcher

if TYPE_CHECKING:
    from kindnudge.notify.session import Session

log = logging.getLogger("kindnudge")

_JOB = "nudges"
STOP_S = 0.5  # the longest a stop waits for the scheduler's thread
_M_ARENA_MAX = -8
_SIGNALS = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT} if hasattr(signal, "SIGHUP") else set()


def _span_from(variable: str) -> timedelta:
    """A minute, or `variable` seconds (tests use a short one)."""
    return timedelta(seconds=knobs.seconds(variable, 60.0, 0.1))


RETRY = _span_from("KINDNUDGE_RETRY")  # how soon a failed firing or plan is tried again
RECHECK = _span_from("KINDNUDGE_RECHECK")  # how soon a held nudge's moment is looked at again


class PlanTrigger(BaseTrigger):
    """APScheduler asks this for the next run time; the Plan answers.

    It must always answer: APScheduler drops a job for good when told None, so
    an error (a bug, or a date at the calendar's end) means "ask again in a
    minute". The slots it hands out are kept until settled, so a firing whose
    planning fails can still record them. While `held_up()`, it also answers
    "again in a minute", or sooner if a slot comes first; and while
    `holding()` a nudge through a bad moment, "again in RECHECK". With
    neither, it answers only the next slot: no wake-up of its own.
    """

    def __init__(
        self,
        plan: Plan,
        held_up: Callable[[], bool] = lambda: False,
        holding: Callable[[], bool] = lambda: False,
    ) -> None:
        self.plan = plan
        self.held_up = held_up
        self.holding = holding
        self.promised: dict[datetime, Slot] = {}

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        try:
            following = self.plan.upcoming(previous_fire_time or now, 1)
        except Exception:
            log.exception("could not work out the next nudge; trying again in a minute")
            return _later(now, RETRY)
        if following:
            self.promised[following[0].at] = following[0]
        soon = [_later(now, RETRY)] if self.held_up() else []
        if self.holding():
            soon.append(_later(now, RECHECK))
        return min([s.at for s in following] + soon, default=None)  # None: the job waits for a reload

    def settle_promises(self, start: datetime | None, end: datetime) -> list[Slot]:
        """Slots handed out for the span start < at <= end; forgets all up to `end`."""
        due = [s for at, s in sorted(self.promised.items()) if (start is None or at > start) and at <= end]
        self.promised = {at: s for at, s in self.promised.items() if at > end}
        return due


def _later(now: datetime, span: timedelta) -> datetime:
    try:
        return now + span
    except OverflowError:  # the end of the calendar: nothing can come later
        return datetime.max.replace(tzinfo=timezone.utc)


class Daemon:
    def __init__(
        self,
        load: Callable[[], Loaded],
        state_path: Path,
        config_file: Path | None,
        clock: Callable[[], datetime],
        rng: Random | None = None,
        session: Session | None = None,
    ) -> None:
        """`session`: the one bus connection that `load`'s notifiers send through,
        so that the daemon can listen for the buttons on what they show."""
        self.load = load
        self.state_path = state_path
        self.config_file = config_file
        self.clock = clock
        self.rng = rng or Random()
        self.current: Loaded | None = None
        self.trigger: PlanTrigger | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.watcher: Watcher | None = None
        self.reloads = Reloads(load, config_file, clock, self._tell_user)
        self._reload_aside = OneAtATime(self.reload, "kindnudge-reload")
        self.session = session
        self.buttons = None
        if session:
            self.buttons = Buttons(state_path, session, lambda: self.current, clock, self.rng)
        shown, guard = (self.buttons.remember, self.buttons.showing) if self.buttons else (None, None)
        self.firing = Firing(state_path, self.rng, self._tell_user, self._at, shown, guard)
        self.handover = Handover(
            state_path,
            config_file,
            lambda: self.current,
            clock,
            self.rng,
            self.buttons,
            lambda: self.reloads.complaint,
        )

    # -- what a firing does (also called directly by tests) -------------------

    def settle(self) -> None:
        """Handle every slot due since the last recorded moment, exactly once.

        APScheduler's job: it never raises, since an exception there would only
        reach APScheduler's own log line.
        """
        try:
            self.firing.settle(self.current, self.clock(), self._promised)
        except MachineError as exc:
            held = self.firing.held_up
            retry = f"trying again in {RETRY.total_seconds():g}s" if held else "its slots were saved"
            log.error("this firing could not use kindnudge's state (%s): %s", retry, exc)
        except Exception:
            log.exception("this firing failed; kindnudge keeps running")
        finally:
            self._listen_for_the_moment()  # a hold may have begun or ended
            release_free_memory()

    def _promised(self, start: datetime | None, end: datetime) -> list[Slot]:
        return self.trigger.settle_promises(start, end) if self.trigger else []

    # -- life cycle -----------------------------------------------------------

    def run(self) -> int:
        gc.enable()  # `cli.entry` turns it off for short commands; a day-long run needs it
        share_one_heap()
        lock = instance.acquire(instance.lock_path(self.state_path), self.config_file)
        try:
            self.current = self.load()
            self._mark_interrupted()  # left by a run that was killed while showing one
            if _SIGNALS:
                signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # before any thread starts
            self.settle()  # catch up on whatever came due while we were off
            self.scheduler = BackgroundScheduler(
                executors={"default": DebugExecutor()},
                job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
                timezone=timezone.utc,
            )
            self._schedule(self.current.plan)
            if self.session:
                _import_the_bus_library()
            self.scheduler.start()
            watched = self.reloads.watched(self.current)
            self.watcher = Watcher(watched, self.on_clock_jump, self.request_reload)
            self.watcher.start()
            self._hear_buttons()
            self.handover.start()
            release_free_memory()
            log.info(
                "started (pid %d); %s; clock watch: %s", os.getpid(), self._next_text(), self.watcher.mode
            )
            self._wait_for_signals()
            log.info("stopping")
            self._stop()
            return 0
        finally:
            lock.close()

    def _hear_buttons(self) -> None:
        """Hear the buttons, and the desktop saying a bad moment may have ended,
        from now on: the bus socket joins the watcher's select."""
        if not (self.session and self.buttons):
            return
        self.session.wake = self.watcher.poke
        self.watcher.listen(self.session.fileno, self._on_bus)
        self._listen_for_the_moment()
        try:
            self.session.open()
        except DeliveryError as exc:  # no desktop yet: the first nudge connects
            log.info("not connected to the session bus yet: %s", exc)

    def _listen_for_the_moment(self) -> None:
        """While a nudge is held, hear the signals that may mean the bad moment
        ended (where the desktop sends none, the once-a-minute re-check finds
        out); with nothing held, none: a Do Not Disturb toggled then wakes nothing."""
        if not self.session:
            return
        attention = self.current.attention if self.current else None
        try:
            self.session.listen_for(attention.signals() if attention and self.firing.holding else [])
        except Exception as exc:  # the re-check still finds out
            log.info("not listening for the desktop's changes: %s", exc)

    def _on_bus(self) -> None:
        """The watcher's call when the bus has news: the desktop's changes to
        the moment look at a held nudge at once; the rest are buttons."""
        from kindnudge.notify.session import Changed

        events = self.session.events()
        if any(isinstance(e, Changed) for e in events):
            self.moment_changed()
        self.buttons.answer(events)

    def moment_changed(self) -> None:
        """The desktop says a bad moment may have ended: if a nudge is held,
        look at it now rather than at the next re-check."""
        if self.firing.holding and self.scheduler:
            log.info("the desktop changed while a nudge is held; looking again")
            self._look_now()

    def _look_now(self) -> None:
        """Fire now, not at the time the trigger last gave: the firing plans again."""
        try:
            self.scheduler.modify_job(_JOB, next_run_time=self.clock())
        except Exception as exc:  # the job is being replaced by a reload, which plans again
            log.info("could not look again at once: %s", exc)

    def _schedule(self, plan: Plan) -> None:
        """(Re)place the one job; unlike reschedule_job, this works when
        APScheduler has dropped it (a plan with nothing left to fire)."""
        self.trigger = PlanTrigger(plan, lambda: self.firing.held_up is not None, lambda: self.firing.holding)
        self.scheduler.add_job(self.settle, self.trigger, id=_JOB, name="nudges", replace_existing=True)

    def _stop(self) -> None:
        """Within a second, as the README promises: a firing held up by a slow
        service is not waited for; its row, claimed before showing, is marked
        interrupted now (or, if that fails, at the next start)."""
        self.watcher.stop()
        self.handover.stop()
        if self.session:
            if self.buttons:
                self.session.close_at_stop(self.buttons.veiled())
            self.session.close()
        stopper = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": False}, daemon=True)
        stopper.start()
        stopper.join(STOP_S)
        # A nudge still being shown (a slow firing, or `now` handed over on the
        # channel's thread) dies with the process: its row must not stay `sending`.
        try:
            self._mark_interrupted()
        except Exception as exc:  # the next start marks it instead
            log.error("could not mark the nudge being shown as interrupted: %s", exc)

    # -- `kindnudge now`, handed over by the command -------------------------

    def _mark_interrupted(self) -> None:
        with State(self.state_path) as state:  # one statement: atomic, and asked again if repaired
            if state.interrupted():
                log.warning(
                    "a nudge was being shown when kindnudge stopped; marked it interrupted"
                    " (or held again, if it had waited for a better moment)"
                )

    def _wait_for_signals(self) -> None:
        if not _SIGNALS:  # Windows: no sigwait; Ctrl+C raises KeyboardInterrupt
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return
        while True:
            received = signal.sigwait(_SIGNALS)
            if received == signal.SIGHUP:
                self._reload_aside.ask()  # SIGTERM is answered at once even while a huge pack is read
            else:
                return

    def request_reload(self) -> None:
        """From the watcher thread: reload in the main thread, like SIGHUP."""
        log.info("the config or a message file changed")
        os.kill(os.getpid(), signal.SIGHUP)

    def on_clock_jump(self) -> None:
        """Forward, what came due is settled now; back, the next time the
        trigger gave may now be days away, so it is asked again."""
        log.info("the wall clock moved (resume from sleep or a clock change); re-checking the schedule")
        self._look_now()

    def reload(self) -> None:
        """Swap in the new config, or keep the old schedule (`Reloads` says why)."""
        loaded, files = self.reloads.attempt(self.current)
        if loaded:
            self.current = loaded
            self._schedule(loaded.plan)
            self.firing.told_empty.clear()  # new messages or rules: say it again if still true
            if self.session and self.buttons:
                self._listen_for_the_moment()
            log.info("config reloaded; %s", self._next_text())
        if self.watcher:
            self.watcher.watch(files)

    def _tell_user(self, title: str, text: str) -> None:
        loaded = self.current
        notice = Notification(title, text[:400], loaded.config.timeout)
        try:
            loaded.notifier.send(notice)
        except Exception as exc:  # the notifier converts its own errors; this is the last net
            log.error("could not show that notice either: %s", exc)

    def _next_text(self) -> str:
        try:
            following = self.current.plan.upcoming(self.clock(), 1)
        except Exception as exc:
            return f"next nudge unknown ({type(exc).__name__}: {exc})"
        if not following:
            return "nothing scheduled"
        return f"next nudge {self._at(following[0].at)}, rule {following[0].rule}"

    def _at(self, moment: datetime) -> str:
        """As `next` says it, and the precise moment for whoever reads the log."""
        return f"{when(moment, moment.tzinfo, self.clock())} ({moment.isoformat()})"


def _import_the_bus_library() -> None:
    """Import jeepney now, in this one thread. A firing asking the desktop about
    the moment and the session connecting would otherwise import it from two
    threads at once, which Python may refuse (_DeadlockError between jeepney's
    modules). The session imports it on any desktop anyway."""
    import jeepney
    import jeepney.auth
    import jeepney.bus_messages
    import jeepney.io.blocking  # noqa: F401


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
