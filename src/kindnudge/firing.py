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
from typing import TYPE_CHECKING, NamedTuple

from kindnudge import holding, journey
from kindnudge.catchup import Decision, decide
from kindnudge.config import Config
from kindnudge.errors import KindnudgeError, MachineError
from kindnudge.library import Library
from kindnudge.notify import Alongside, Chain
from kindnudge.notify.notification import Unreachable
from kindnudge.nudge import (
    Claim,
    Delivery,
    NothingToShow,
    claim,
    deliver,
    draw,
    notification_for,
    rule_kinds,
)
from kindnudge.planner import Plan, Slot, kind_label
from kindnudge.state import HANDLED_UNTIL, PAUSED_UNTIL, HistoryEntry, State

if TYPE_CHECKING:
    from kindnudge.desktop import Busy
    from kindnudge.desktop.attention import Attention
    from kindnudge.library import Message

log = logging.getLogger("kindnudge")

STATE_WAIT_S = 3.0  # a firing held up longer is tried again soon (daemon.RETRY)


class Loaded(NamedTuple):
    """Everything a config file determines; swapped whole on reload."""

    config: Config
    library: Library
    plan: Plan
    notifier: Chain | Alongside
    route: journey.Route | None = None  # the journey's path; None: no journey can be followed
    attention: Attention | None = None  # what tells a bad moment; None: nothing is ever held


class ShowNow(NamedTuple):
    """What a firing shows: a slot due now, or a held one whose moment cleared."""

    slot: Slot | None = None  # None: nothing
    row: int | None = None  # the held row it settles; None: a new row
    kept: str | None = None  # the message drawn for it when it was held (and sent by push)
    because: str = ""  # a held one's final reason: how long it waited, and why


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
        self.holding = False  # a nudge waits out a bad moment: the daemon looks again soon
        self.push_now: Message | None = None  # drawn for a held nudge: the push channel goes at its time

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
        moment = self._moment(loaded, now)  # asked before the state is locked: a desktop may be slow
        with State(self.state_path, STATE_WAIT_S) as state:
            note = state.untold_repair()
            if note:
                log.warning("%s", note)
                self.tell("kindnudge: your saved state was repaired", f"{note[0].upper()}{note[1:]}.")
            with state.transaction():
                handled = self._handled(state)
                if handled is not None and now <= handled:
                    self._went_back(state, handled, now)
                    return
                paused = state.get_moment(PAUSED_UNTIL)
                try:
                    due = loaded.plan.between(handled, now) if handled else []
                    if due:  # those that came round again after the clock went back have their row
                        done = state.recorded_dues(due[0].at, due[-1].at)
                        due = [slot for slot in due if slot.at not in done]
                    following = _next_due(loaded, now) if due else None
                    config = loaded.config
                    decision = decide(due, now, config.catch_up, config.quiet_hours, paused, following)
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
                now_shown = self._hold_or_release(loaded, decision.show, state, now, moment)
                show = now_shown.slot
                claimed = (
                    self._claim(loaded, show, state, now, now_shown.row, now_shown.kept) if show else None
                )
                asking = self._end_question(loaded, state, now) if claimed else None
                state.set_moment(HANDLED_UNTIL, now)
            self.handled = now
            late_because, self.held_up = self._held_up_note(), None
            promised(None, now)
            self._push_held(loaded)
            if claimed:
                pushed = now_shown.kept == claimed.message.id and isinstance(loaded.notifier, Alongside)
                shown = self._show(
                    loaded._replace(notifier=loaded.notifier.desktop) if pushed else loaded,
                    show,
                    claimed,
                    state,
                    now,
                    late_because,
                    now_shown.because,
                    now_shown.row,
                )
                if shown and asking:
                    self._ask_at_the_end(asking, state)
            self._tell_nothing_to_show()

    def _went_back(self, state: State, handled: datetime, now: datetime) -> None:
        """The clock went back (set right after running ahead, or an hour back):
        what comes due from now on is looked at again, and a slot that already
        has its row (it came in the other timeline) is not shown twice."""
        if now < handled:
            log.info("the clock went back by %s; nudges come as their times come round", handled - now)
            state.set_moment(HANDLED_UNTIL, now)
            self.handled = now

    # -- the right moment (holding.py has the rules) ------------------------------

    def _moment(self, loaded: Loaded, now: datetime) -> Busy | None:
        """Why now is a bad moment for a nudge on the desktop; None: go ahead.
        The desktop is asked only when a slot came due or one is held."""
        attention = loaded.attention
        if attention is None or not holding.holds(
            loaded.config.respect, loaded.config.push_urls, loaded.config.push_mode
        ):
            return None
        try:
            waiting = self._waiting(loaded, now)
        except Exception:  # the firing itself says what is wrong; asking does no harm
            waiting = True
        if not waiting:
            return None
        try:
            return attention.busy()
        except Exception:  # a source that fails never holds a nudge
            log.exception("could not tell whether this is a good moment; showing nudges as they come")
            return None

    def _handled(self, state: State) -> datetime | None:
        """The last settled moment: the file's, or ours if later (a replaced file may have none)."""
        saved = (state.get_moment(HANDLED_UNTIL), self.handled)
        return max((m for m in saved if m), default=None)

    def _waiting(self, loaded: Loaded, now: datetime) -> bool:
        """Whether a slot came due since the last firing, or a nudge is held."""
        with State(self.state_path, STATE_WAIT_S) as state:
            handled = self._handled(state)
            if state.held():
                return True
        return handled is not None and now > handled and bool(loaded.plan.between(handled, now))

    def _hold_or_release(
        self, loaded: Loaded, slot: Slot | None, state: State, now: datetime, moment: Busy | None
    ) -> ShowNow:
        """What to show now, if anything. A slot due at a bad moment is held
        instead; with none due, the latest held one is looked at again. Any
        other held row is skipped: only the latest held nudge is ever shown."""
        held = state.held()
        self.holding = False
        if slot:
            for row, entry in held:
                self._end_hold(state, row, entry, now, "skipped", holding.SUPERSEDED)
            if not moment:
                return ShowNow(slot)
            status, reason = holding.on_due(moment.why, loaded.config.hold_for)
            log.info("%s %s, rule %s: %s", status, self.at(slot.at), slot.rule, moment.why)
            row = state.record(_row(slot, now, status, reason))
            self.holding = status == "held"
            if self.holding and isinstance(loaded.notifier, Alongside):
                self._draw_for_push(loaded, slot, state, now, row, reason)
            return ShowNow()
        if not held:
            return ShowNow()
        *older, (row, entry) = held
        for old_row, old in older:
            self._end_hold(state, old_row, old, now, "skipped", holding.SUPERSEDED)
        config = loaded.config
        verdict = holding.release(
            entry.due or entry.at,
            holding.why_held(entry.reason),
            now,
            config.hold_for,
            loaded.plan.tz,
            config.quiet_hours,
            moment.why if moment else None,
            state.get_moment(PAUSED_UNTIL),
            _next_due(loaded, now),
        )
        if verdict.action == holding.WAIT:
            self.holding = True
            if moment and moment.why != holding.why_held(entry.reason):  # what holds it now, for status
                state.reuse(row, entry._replace(reason=f"{holding.HELD}{moment.why}"))
            why = moment.why if moment else "it is quiet hours"
            log.info(
                "still holding the nudge for %s, rule %s: %s", self.at(entry.due or entry.at), entry.rule, why
            )
            return ShowNow()
        if verdict.action == holding.SKIP:
            self._end_hold(state, row, entry, now, "skipped", verdict.reason)
            return ShowNow()
        return ShowNow(_slot_of(entry, loaded), row, entry.message_id, verdict.reason)

    def _draw_for_push(
        self, loaded: Loaded, slot: Slot, state: State, now: datetime, row: int, reason: str
    ) -> None:
        """Only the desktop route is held: a phone helps most while you are away.
        The message is drawn now, kept in the held row, and is the one the
        desktop shows at release."""
        day = self._day(loaded, state, slot)
        try:
            config = loaded.config
            drawn = draw(
                loaded.library, rule_kinds(slot.kinds, config), state, self.rng, config.favourite_weight, day
            )
        except Exception as exc:  # the desktop still draws its own at release
            log.warning("nothing sent by push for %s: %s", self.at(slot.at), exc)
            return
        message = drawn.message
        state.mark_seen(message.kind, message.id, drawn.refill)
        entry = HistoryEntry(now, slot.rule, message.kind, message.id, message.text, "held", reason, slot.at)
        state.reuse(row, entry)
        self.push_now = message

    def _push_held(self, loaded: Loaded) -> None:
        """Send what was drawn for a held nudge by push, after it was saved."""
        message, self.push_now = self.push_now, None
        if message is None or not isinstance(loaded.notifier, Alongside):
            return
        from kindnudge.notify import attempt

        try:
            attempt(loaded.notifier.push, notification_for(message, loaded.config))
        except KindnudgeError as exc:
            log.error("push failed for the held nudge %s: %s", message.id, exc)
        else:
            log.info("sent %s by push at its time; the desktop holds it", message.id)

    def _end_hold(
        self, state: State, row: int, entry: HistoryEntry, now: datetime, status: str, reason: str
    ) -> None:
        due = self.at(entry.due or entry.at)
        log.info("%s the nudge held for %s, rule %s: %s", status, due, entry.rule, reason)
        state.reuse(row, entry._replace(at=now, status=status, reason=reason))

    def _claim(
        self,
        loaded: Loaded,
        slot: Slot,
        state: State,
        now: datetime,
        row: int | None = None,
        kept: str | None = None,
    ) -> Claim | None:
        """Draw a message for `slot` (from its journey day's stage, on a journey);
        if none can be drawn, or the journey holds it back, the slot's row says why.
        `row`: the held row this settles, instead of a new one; `kept`: what was
        drawn for it already (and sent by push), shown unless hidden since."""
        kinds = rule_kinds(slot.kinds, loaded.config)
        path = journey.from_text(state.get_text(journey.STATE_KEY)) if loaded.route else None
        on = journey.local_date(slot.at, loaded.plan.tz)
        held = journey.held_back(path, on, journey.first_of_day(loaded.plan, slot.at)) if path else None
        if held:
            _put(state, row, _row(slot, now, "skipped", held))
            return None
        message = loaded.library.get(kept) if kept and row is not None else None
        if message and state.marks().get(message.id) != "hidden":
            sending = HistoryEntry(
                now, slot.rule, message.kind, message.id, message.text, "sending", None, slot.at
            )
            state.reuse(row, sending)
            return Claim(message, row)
        day = self._day(loaded, state, slot)
        try:
            claimed = claim(
                loaded.library, loaded.config, kinds, state, now, self.rng, slot.rule, slot.at, day, row
            )
        except NothingToShow as exc:
            self._nothing_to_show(slot, f"nothing left to show for rule {slot.rule}: {exc}", state, now, row)
        except KindnudgeError as exc:
            log.warning("skipped %s, rule %s: %s", self.at(slot.at), slot.rule, exc)
            _put(state, row, _row(slot, now, "skipped", str(exc)))
        except Exception as exc:
            log.exception("could not draw a message for %s, rule %s", self.at(slot.at), slot.rule)
            _put(state, row, _row(slot, now, "failed", _failure(exc)))
        else:
            self.told_empty.discard(slot.rule)  # if it empties again, that is news again
            return claimed
        return None

    def _day(self, loaded: Loaded, state: State, slot: Slot) -> journey.Day | None:
        """The journey's day `slot` falls on, if on a journey: its stage is drawn from."""
        path = journey.from_text(state.get_text(journey.STATE_KEY)) if loaded.route else None
        on = journey.local_date(slot.at, loaded.plan.tz)
        return journey.day_on(path, loaded.route, on) if path and loaded.route else None

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

    def _nothing_to_show(
        self, slot: Slot, reason: str, state: State, now: datetime, row: int | None = None
    ) -> None:
        """Record the slot skipped; the user is told after the transaction."""
        log.warning("skipped %s: %s", self.at(slot.at), reason)
        _put(state, row, _row(slot, now, "skipped", reason))
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
        self,
        loaded: Loaded,
        slot: Slot,
        claimed: Claim,
        state: State,
        now: datetime,
        late_because: str,
        reason: str = "",
        held: int | None = None,
    ) -> bool:
        """Show it; True when the desktop took it. `reason`: what its row says
        once delivered, when not the backend (a nudge shown after a hold);
        `held`: the held row it settles."""
        with self.guard:
            result = deliver(
                claimed,
                loaded.config,
                loaded.notifier,
                state,
                interactive=self.shown is not None,
                reason=reason or None,
            )
            if self.shown:
                self.shown(result)
        late = (now - slot.at).total_seconds()
        if isinstance(result.error, Unreachable) and held is not None:
            self._hold_again(state, held, slot, now, result.error)
        elif result.error:
            log.error("delivery failed for %s, rule %s: %s", self.at(slot.at), slot.rule, result.error)
        else:
            log.info(
                "delivered %s for %s, rule %s, %.3fs after its time%s",
                result.message.id,
                self.at(slot.at),
                slot.rule,
                late,
                late_because or (f" ({reason})" if reason else ""),
            )
        return not result.error

    def _hold_again(self, state: State, row: int, slot: Slot, now: datetime, error: Unreachable) -> None:
        """A held nudge let go just as the notification service went away (it
        restarted, say) waits on, within hold_for, rather than ending failed:
        held ends delivered or skipped. Its message went back to the bag."""
        why = "no notification service is running"
        log.info("still holding the nudge for %s, rule %s: %s (%s)", self.at(slot.at), slot.rule, why, error)
        with state.transaction():
            state.reuse(row, _row(slot, now, "held", f"{holding.HELD}{why}"))
        self.holding = True


def _failure(exc: Exception) -> str:
    return f"not shown: kindnudge hit an unexpected {type(exc).__name__} ({exc}); the log has the details"


def _next_due(loaded: Loaded, now: datetime) -> datetime | None:
    """When the next nudge is due: a late one makes way for it if it is near."""
    return next((s.at for s in loaded.plan.upcoming(now, 1)), None)


def _row(slot: Slot, now: datetime, status: str, reason: str) -> HistoryEntry:
    return HistoryEntry(now, slot.rule, kind_label(slot.kinds), None, None, status, reason, slot.at)


def _put(state: State, row: int | None, entry: HistoryEntry) -> None:
    """A slot's one row: a new one, or the held row it settles."""
    if row is None:
        state.record(entry)
    else:
        state.reuse(row, entry)


def _slot_of(entry: HistoryEntry, loaded: Loaded) -> Slot:
    """The slot a held row stands for, by its rule as loaded now (a rule gone
    since: by the kind the row recorded)."""
    rule = entry.rule or ""
    kinds = next((r.kinds for r in loaded.plan.rules if r.name == rule), None)
    if kinds is None:
        kinds = tuple(loaded.config.kinds) if entry.kind == "any" else (entry.kind,)
    return Slot(entry.due or entry.at, rule, kinds)
