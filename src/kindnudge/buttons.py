"""What the buttons on a nudge do: ♥ Keep, Hide, Another, and a click on its body.

The daemon remembers which message each notification it showed carries, by
(the server's unique bus name, id): a restarted server reuses ids. Anything
else (id 0, an id never sent, a server since gone) is ignored. Each press is
applied and recorded in one state transaction; per "one life for a history
row", a press is a row of its own with no due moment, pointing at the
message: `kept` or `hidden`. Another is a delivery of its own (reason
"another") that takes the pressed notification's place.

A discreet nudge offers only a click and Show, which put its words in its
place, with the buttons. Reading changes nothing kept, so it is no row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING, NamedTuple

from kindnudge import journey
from kindnudge.errors import DeliveryError, KindnudgeError
from kindnudge.firing import STATE_WAIT_S, Loaded
from kindnudge.notify.notification import Notification
from kindnudge.nudge import ANOTHER, DEFAULT, HIDE, KEEP, SHOW, Delivery, claim, deliver, notification_for
from kindnudge.paths import icon_file
from kindnudge.state import HistoryEntry, State

if TYPE_CHECKING:
    from kindnudge.library import Message
    from kindnudge.notify.notification import Receipt
    from kindnudge.notify.session import Event, Session

log = logging.getLogger("kindnudge")

REMEMBERED = 100  # notifications whose buttons still count; servers keep far fewer on screen
_PRESSED = {
    KEEP: ("kept", "you pressed \u2665 Keep: it will come more often"),
    HIDE: ("hidden", "you pressed Hide: it will not be shown again"),
}
_SAID = {  # on screen, in the nudge's place, for CONFIRM_FOR
    KEEP: "\u2665 Kept. This one will come more often.",
    HIDE: "Hidden. You won't see that one again.",
}
CONFIRM_FOR = timedelta(seconds=4)


class Shown(NamedTuple):
    message: Message
    veiled: bool = False  # discreet, its words not yet revealed
    # Put back in its own place by a replacement that kept its id (dunst does):
    # a server that closed it on the press says so after, about the old one.
    put_back: bool = False


class Buttons:
    def __init__(
        self,
        state_path: Path,
        session: Session,
        loaded: Callable[[], Loaded],
        clock: Callable[[], datetime],
        rng: Random,
    ) -> None:
        self.state_path = state_path
        self.session = session
        self.loaded = loaded  # the config and messages in effect now
        self.clock = clock
        self.rng = rng
        self.shown: dict[Receipt, Shown] = {}
        # Held while a nudge is shown and remembered: a press can come before
        # its Notify call has even returned, and must wait to be recognised.
        self.showing = threading.RLock()

    def remember(self, delivery: Delivery, put_back: bool = False) -> None:
        """A nudge the daemon showed: its buttons will be answered."""
        if not delivery.error:
            self._keep(delivery.receipt, Shown(delivery.message, delivery.veiled, put_back))

    def _keep(self, receipt: Receipt | None, shown: Shown) -> None:
        if receipt is None or not receipt.id:  # id 0 can't be told apart
            return
        self.shown.pop(receipt, None)
        self.shown[receipt] = shown
        while len(self.shown) > REMEMBERED:
            self.shown.pop(next(iter(self.shown)), None)

    def veiled(self) -> list[Receipt]:
        """Discreet nudges on screen whose words were not asked for yet: only this
        process could reveal them, so they leave with it (`kindnudge last` still can)."""
        return [receipt for receipt, shown in self.shown.items() if shown.veiled]

    def answer(self, events: list[Event]) -> None:
        """What the bus said (the watcher's news): handle every event, each on its own."""
        for event in events:
            try:
                with self.showing:
                    self.handle(event)
            except KindnudgeError as exc:
                log.error("could not do what was pressed on a nudge: %s", exc)
            except Exception:
                log.exception("could not do what was pressed on a nudge; kindnudge keeps running")

    def handle(self, event: Event) -> None:
        from kindnudge.notify.session import Action, Changed

        if isinstance(event, Changed):
            return  # about the moment, not about a notification
        shown = self.shown.get(event.receipt)
        if shown is None:
            log.debug("ignored %s: not a nudge this kindnudge showed", event)
            return
        message = shown.message
        if not isinstance(event, Action):  # closed: its buttons are gone
            if shown.put_back:  # ...unless it is the one it replaced, closed by the press
                self.shown[event.receipt] = shown._replace(put_back=False)
            else:
                self.shown.pop(event.receipt, None)
            return
        if shown.veiled:
            if event.key in (DEFAULT, SHOW):
                self._reveal(event.receipt, message)
            else:
                log.debug("ignored the action %r on the discreet %s", event.key, message.id)
        elif event.key == DEFAULT:
            self.shown.pop(event.receipt, None)
            self.session.close_notification(event.receipt)
        elif event.key in _PRESSED:
            self._mark(event.key, message)
            self.shown.pop(event.receipt, None)
            self._confirm(event.receipt, message, _SAID[event.key])
        elif event.key == ANOTHER:
            self._another(event.receipt, message)
        else:
            log.debug("ignored the unknown action %r on %s", event.key, message.id)

    def _mark(self, key: str, message: Message) -> None:
        status, reason = _PRESSED[key]
        mark = "favourite" if key == KEEP else "hidden"
        text = None if key == HIDE else message.text  # hidden so as not to be read again
        with State(self.state_path, STATE_WAIT_S) as state, state.transaction():
            state.set_mark(message.id, mark)
            state.record(HistoryEntry(self.clock(), None, message.kind, message.id, text, status, reason))
        log.info("%s %s: %s", status, message.id, reason)

    def _confirm(self, receipt: Receipt, message: Message, said: str) -> None:
        """Show that the press was heard, in the nudge's place, for a few seconds:
        some servers leave a notification up after a button (dunst's menu), and a
        hidden line should leave the screen at once."""
        config = self.loaded().config
        title = config.title_for(message.kind)
        said_here = Notification(
            title, said, CONFIRM_FOR, icon=str(icon_file()), replaces=receipt.id, transient=config.discreet
        )
        try:  # to the desktop that was pressed, not to a push route too
            self.session.send(said_here)
        except DeliveryError as exc:  # the press is saved; only the word of it is lost
            log.info("could not say that the press was heard: %s", exc)

    def _reveal(self, receipt: Receipt, message: Message) -> None:
        """A discreet nudge's words, in its place, now with its buttons."""
        config = self.loaded().config
        words = notification_for(message, config, interactive=True, replaces=receipt.id, reveal=True)
        try:
            again = self.session.send(words)
        except DeliveryError as exc:
            log.error("could not show the words of %s (`kindnudge last` shows them): %s", message.id, exc)
            return
        self.shown.pop(receipt, None)
        self._keep(again, Shown(message, put_back=again == receipt))
        log.info("revealed %s", message.id)

    def _another(self, receipt: Receipt, message: Message) -> None:
        loaded = self.loaded()
        with State(self.state_path, STATE_WAIT_S) as state:
            now = self.clock()
            day = journey.day_at(state.get_text(journey.STATE_KEY), loaded.route, now, loaded.plan.tz)
            with state.transaction():  # from today's stage on a journey, as the nudge it replaces
                claimed = claim(loaded.library, loaded.config, [message.kind], state, now, self.rng, day=day)
            delivery = deliver(  # with its words: the person is looking
                claimed, loaded.config, loaded.notifier, state, True, receipt.id, reason=ANOTHER, reveal=True
            )
        if delivery.error:
            log.error("another nudge in place of %s could not be shown: %s", message.id, delivery.error)
            return
        self.shown.pop(receipt, None)
        self.remember(delivery, put_back=delivery.receipt == receipt)
        log.info("another: %s in place of %s", delivery.message.id, message.id)
