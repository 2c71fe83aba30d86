"""One firing of the daemon: what came due since the last one, settled.

Every due slot leaves exactly one history row; at most one nudge is shown
(catchup.py decides which); a rule with nothing left to show is told once.
The outcome is committed to SQLite in one transaction before anything is shown.
When the state can't be used (busy, read-only, disk full), nothing is recorded
and the firing is held up: the daemon tries again soon, and the log then says
why those slots were late.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from random import Random
from typing import NamedTuple

from kindnudge import journey
from kindnudge.catchup import Decision, decide
from kindnudge.config import Config
from kindnudge.errors import KindnudgeError, MachineError
from kindnudge.library import Library
from kindnudge.notify import Alongside, Chain
from kindnudge.nudge import Claim, Delivery, NothingToShow, claim, deliver, rule_kinds
from kindnudge.planner import Plan, Slot, kind_label
from kindnudge.state import HANDLED_UNTIL, PAUSED_UNTIL, HistoryEntry, State

log = logging.getLogger("kindnudge")

STATE_WAIT_S = 3.0  # a firing held up longer is tried again soon (daemon.RETRY)


class Loaded(NamedTuple):
    """Everything a config file determines; swapped whole on reload."""

    config: Config
    library: Library
    plan: Plan
    notifier: Chain | Alongside
    route: journey.Route | None = None  # the journey's path; None: no journey can be followed


Promised = Callable[[datetime | None, datetime], list[Slot]]


class Firing:
    """Settles due slots against the state file; remembers across firings what
    the file may lose (it can be deleted) and what the user was already told."""

    def __init__(
        self,
        state_path: Path,
        rng: Random,
        tell: Callable[[str, str], None],
        at: Callable[[datetime], str],
        shown: Callable[[Delivery], None] | None = None,
        guard: AbstractContextManager | None = None,
    ) -> None:
        self.state_path = state_path
        self.rng = rng
        self.tell = tell  # (title, text): a notice to the user
        self.at = at  # a moment as the log says it
        self.shown = shown  # with buttons: told of each nudge shown, to answer them
        self.guard = guard or contextlib.nullcontext()  # held while showing one and telling `shown`
        self.handled: datetime | None = None  # handled_until as last saved: the file may be deleted
        self.told_empty: set[str] = set()  # rules the user was told have nothing left to show
        self.untold: tuple[str, str] | None = None  # (rule, why), told once the firing is saved
        self.held_up: tuple[datetime, str] | None = None  # since when, and why, nothing could be saved

    def settle(self, loaded: Loaded, now: datetime, promised: Promised) -> None:
        """Record every slot due since the last settled moment, show at most one.

        `promised(start, end)` gives the slots the scheduler was told of in
        that span (and forgets them up to `end`): if working out what was due
        fails, those still get their rows. A MachineError before anything was
        saved leaves `held_up` set until a firing gets through.
        """
        try:
            self._settle(loaded, now, promised)
        except MachineError as exc:
            if self.handled != now and not self.held_up:  # nothing saved: what came due still waits
                self.held_up = (now, str(exc))
            raise

    def _settle(self, loaded: Loaded, now: datetime, promised: Promised) -> None:
        with State(self.state_path, STATE_WAIT_S) as state:
            note = state.untold_repair()
            if note:
                log.warning("%s", note)
                self.tell("kindnudge: your saved state was repaired", f"{note[0].upper()}{note[1:]}.")
            with state.transaction():
                saved = (state.get_moment(HANDLED_UNTIL), self.handled)  # a replaced file may have none
                handled = max((m for m in saved if m), default=None)
                if handled is not None and now <= handled:
                    return  # the clock went back: all of this was handled already
                paused = state.get_moment(PAUSED_UNTIL)
                try:
                    due = loaded.plan.between(handled, now) if handled else []
                    decision = decide(due, now, loaded.config.catch_up, loaded.config.quiet_hours, paused)
                except Exception as exc:  # a bug: still leave a row for every slot we know of
                    log.exception("could not work out what was due")
                    decision = Decision()
                    for slot in promised(handled, now):
                        state.record(_row(slot, now, "failed", _failure(exc)))
                for slot, reason in decision.skip:
                    if self.held_up:
                        reason += "; kindnudge could not use its saved state until now (the log says why)"
                    log.warning("skipped %s, rule %s: %s", self.at(slot.at), slot.rule, reason)
                    state.record(_row(slot, now, "skipped", reason))
                claimed = self._claim(loaded, decision.show, state, now) if decision.show else None
                asking = self._end_question(loaded, state, now) if claimed else None
                state.set_moment(HANDLED_UNTIL, now)
            self.handled = now
            late_because, self.held_up = self._held_up_note(), None
            promised(None, now)
            if claimed:
                shown = self._show(loaded, decision.show, claimed, state, now, late_because)
                if shown and asking:
                    self._ask_at_the_end(asking, state)
            self._tell_nothing_to_show()

    def _claim(self, loaded: Loaded, slot: Slot, state: State, now: datetime) -> Claim | None:
        """Draw a message for `slot` (from its journey day's stage, on a journey);
        if none can be drawn, or the journey holds it back, the slot's row says why."""
        kinds = rule_kinds(slot.kinds, loaded.config)
        path = journey.from_text(state.get_text(journey.STATE_KEY)) if loaded.route else None
        on = journey.local_date(slot.at, loaded.plan.tz)
        held = journey.held_back(path, on, journey.first_of_day(loaded.plan, slot.at)) if path else None
        if held:
            state.record(_row(slot, now, "skipped", held))
            return None
        day = journey.day_on(path, loaded.route, on) if path and loaded.route else None
        try:
            claimed = claim(
                loaded.library, loaded.config, kinds, state, now, self.rng, slot.rule, slot.at, day
            )
        except NothingToShow as exc:
            self._nothing_to_show(slot, f"nothing left to show for rule {slot.rule}: {exc}", state, now)
        except KindnudgeError as exc:
            log.warning("skipped %s, rule %s: %s", self.at(slot.at), slot.rule, exc)
            state.record(_row(slot, now, "skipped", str(exc)))
        except Exception as exc:
            log.exception("could not draw a message for %s, rule %s", self.at(slot.at), slot.rule)
            state.record(_row(slot, now, "failed", _failure(exc)))
        else:
            self.told_empty.discard(slot.rule)  # if it empties again, that is news again
            return claimed
        return None

    def _end_question(self, loaded: Loaded, state: State, now: datetime) -> tuple[str, str] | None:
        """The journey's end-of-path question, if it is due: it comes once, after
        a nudge that was shown."""
        path = journey.from_text(state.get_text(journey.STATE_KEY)) if loaded.route else None
        return journey.end_question(path, journey.local_date(now, loaded.plan.tz)) if path else None

    def _ask_at_the_end(self, asking: tuple[str, str], state: State) -> None:
        """Ask, and remember it was asked. The hook for a notification button:
        its answer goes through journey.choose, as `kindnudge journey next` does."""
        with state.transaction():
            path = journey.from_text(state.get_text(journey.STATE_KEY))
            if not path or path.asked:
                return
            state.set_text(journey.STATE_KEY, journey.to_text(path._replace(asked=True)))
        self.tell(*asking)

    def _nothing_to_show(self, slot: Slot, reason: str, state: State, now: datetime) -> None:
        """Record the slot skipped; the user is told after the transaction."""
        log.warning("skipped %s: %s", self.at(slot.at), reason)
        state.record(_row(slot, now, "skipped", reason))
        self.untold = (slot.rule, reason)

    def _tell_nothing_to_show(self) -> None:
        """Tell the first time, not every slot: a nudge that silently never
        comes looks as if kindnudge broke."""
        if self.untold and self.untold[0] not in self.told_empty:
            self.told_empty.add(self.untold[0])
            self.tell("kindnudge: nothing left to show", self.untold[1])
        self.untold = None

    def _held_up_note(self) -> str:
        """Why this firing comes late, if an earlier one could not save anything."""
        if not self.held_up:
            return ""
        since, why = self.held_up
        return f", as kindnudge could not use its saved state from {self.at(since)} on: {why}"

    def _show(
        self, loaded: Loaded, slot: Slot, claimed: Claim, state: State, now: datetime, late_because: str
    ) -> bool:
        """Show it; True when the desktop took it."""
        with self.guard:
            result = deliver(
                claimed, loaded.config, loaded.notifier, state, interactive=self.shown is not None
            )
            if self.shown:
                self.shown(result)
        late = (now - slot.at).total_seconds()
        if result.error:
            log.error("delivery failed for %s, rule %s: %s", self.at(slot.at), slot.rule, result.error)
        else:
            log.info(
                "delivered %s for %s, rule %s, %.3fs after its time%s",
                result.message.id,
                self.at(slot.at),
                slot.rule,
                late,
                late_because,
            )
        return not result.error


def _failure(exc: Exception) -> str:
    return f"not shown: kindnudge hit an unexpected {type(exc).__name__} ({exc}); the log has the details"


def _row(slot: Slot, now: datetime, status: str, reason: str) -> HistoryEntry:
    return HistoryEntry(now, slot.rule, kind_label(slot.kinds), None, None, status, reason, slot.at)
