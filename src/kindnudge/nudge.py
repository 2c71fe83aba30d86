"""One nudge, start to finish: draw from the bag, show it, remember it.

The bag is only consumed when the desktop took the notification, so a failed
delivery is never counted as seen; the failure itself is kept in history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from random import Random

from kindnudge.config import Config
from kindnudge.errors import DeliveryError, UsageError
from kindnudge.library import Library, Message
from kindnudge.notify import Alongside, Chain, Notification
from kindnudge.paths import icon_file
from kindnudge.picker import Pick, pick
from kindnudge.state import HistoryEntry, State


def draw(
    library: Library, kinds: Sequence[str], state: State, rng: Random, favourite_weight: int = 1
) -> Pick:
    """The next message from the bag of one of `kinds`, without consuming it.

    Hidden messages never come; favourites come `favourite_weight` times as often.
    """
    kind = rng.choice(list(kinds))
    marks = state.marks()
    candidates = [m for m in library.of_kind(kind) if marks.get(m.id) != "hidden"]
    if not candidates:
        raise UsageError(
            f"there are no {kind} messages to show; add some, or un-hide some with `hide --undo`"
        )
    favourites = {i for i, mark in marks.items() if mark == "favourite"}
    return pick(candidates, state.seen(kind), state.last_delivered(kind), rng, favourites, favourite_weight)


def notification_for(message: Message, config: Config) -> Notification:
    return Notification(
        config.title_for(message.kind),
        message.text,
        config.timeout,
        icon=str(icon_file()),
        urgency=config.urgency,
    )


@dataclass(frozen=True)
class Delivery:
    message: Message
    error: DeliveryError | None  # None: the desktop took it


def nudge(
    library: Library,
    config: Config,
    kinds: Sequence[str],
    notifier: Chain | Alongside,
    state: State,
    now: datetime,
    rng: Random,
    rule: str | None = None,
    due: datetime | None = None,
) -> Delivery:
    """Show the next message of `kinds` and record the outcome.

    Call inside `state.transaction()`, so the draw, the history row and the
    bag update commit together with whatever else the caller records.
    """
    drawn = draw(library, kinds, state, rng, config.favourite_weight)
    message = drawn.message
    error: DeliveryError | None = None
    try:
        sent = notifier.send(notification_for(message, config))
        failures = sent.failures
    except DeliveryError as exc:
        error, failures = exc, [str(exc)]

    def entry(status: str, reason: str | None) -> HistoryEntry:
        return HistoryEntry(now, rule, message.kind, message.id, message.text, status, reason, due)

    for failure in failures:  # a backend that failed before a fallback delivered
        state.record(entry("failed", failure))
    if not error:
        state.record(entry("delivered", f"by {sent.backend}"))
    if not error:
        state.mark_seen(message.kind, message.id, drawn.refill)
    return Delivery(message, error)
