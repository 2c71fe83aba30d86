"""One nudge, start to finish: draw from the bag, show it, remember it.

The bag is only consumed when the desktop took the notification, so a failed
delivery is never counted as seen; the failure itself is kept in history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from random import Random

from kindnudge.config import Config
from kindnudge.errors import DeliveryError, UsageError
from kindnudge.library import Library, Message
from kindnudge.notify import Notification, Notifier
from kindnudge.picker import Pick, pick
from kindnudge.state import HistoryEntry, State


def draw(library: Library, kinds: Sequence[str], state: State, rng: Random) -> Pick:
    """The next message from the bag of one of `kinds`, without consuming it."""
    kind = rng.choice(list(kinds))
    candidates = library.of_kind(kind)
    if not candidates:
        raise UsageError(f"there are no {kind} messages; add some to a pack or choose another kind")
    return pick(candidates, state.seen(kind), state.last_delivered(kind), rng)


def notification_for(message: Message, config: Config) -> Notification:
    return Notification(config.title_for(message.kind), message.text, config.timeout)


def nudge(
    library: Library,
    config: Config,
    kinds: Sequence[str],
    notifier: Notifier,
    state: State,
    now: datetime,
    rng: Random,
    rule: str | None = None,
) -> Message:
    """Show the next message of `kinds`; raises DeliveryError after recording it."""
    with state.transaction():
        drawn = draw(library, kinds, state, rng)
        message = drawn.message
        failure: DeliveryError | None = None
        try:
            notifier.send(notification_for(message, config))
        except DeliveryError as exc:
            failure = exc
        state.record(
            HistoryEntry(
                at=now,
                rule=rule,
                kind=message.kind,
                message_id=message.id,
                text=message.text,
                status="failed" if failure else "delivered",
                reason=str(failure) if failure else None,
            )
        )
        if not failure:
            state.mark_seen(message.kind, message.id, drawn.new_cycle)
    if failure:
        raise failure
    return message
