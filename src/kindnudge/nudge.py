"""One nudge, start to finish: draw from the bag, show it, remember it.

A drawn message is claimed (counted as seen, recorded as `sending`) before it
is shown, so a crash can neither repeat it nor lose its record; if delivery
fails it goes back into the bag, and the failure is kept in history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING, NamedTuple

from kindnudge.config import Config
from kindnudge.errors import DeliveryError, UsageError
from kindnudge.journey import Day, pool
from kindnudge.library import Library, Message
from kindnudge.paths import icon_file
from kindnudge.picker import Pick, pick
from kindnudge.state import PAUSED_UNTIL, HistoryEntry, State

if TYPE_CHECKING:
    from kindnudge.notify import Alongside, Chain, Notification, Receipt

# What a nudge offers where the server has actions: a click on the body
# (`default`: without it, GNOME would run the desktop file's Exec), and three
# buttons, as many as GNOME shows, with short labels.
DEFAULT, KEEP, HIDE, ANOTHER = "default", "keep", "hide", "another"
BUTTONS = ((KEEP, "\u2665 Keep"), (HIDE, "Hide"), (ANOTHER, "Another"))
# A discreet nudge (`notification.discreet`) shows only this face, which says
# nothing of what it is about, until the person asks: a click, Show, or
# `kindnudge last` where nothing can be clicked. Its buttons come once revealed.
SHOW = "show"
DISCREET_TITLE = "A kind word is waiting"
DISCREET_CLICK = "Choose Show to read it, or run kindnudge last."
DISCREET_ELSEWHERE = "To read it, run kindnudge last in a terminal."


class NothingToShow(UsageError):
    """Every message a nudge could draw from is hidden, or there is none."""


def rule_kinds(kinds: Sequence[str], config: Config) -> list[str]:
    """The kinds a rule draws from: its own, narrowed to the ones `content.kinds` wants."""
    return [k for k in kinds if k in config.kinds] or list(kinds)


def why_never(kind: str, config: Config, what: str) -> str | None:
    """Why messages of `kind` (`what`, in the sentence) never come on schedule,
    and what brings them; None when a rule can bring them. A schedule with no
    rule at all is not about a kind: `next` says that."""
    drawn = {k: None for rule in config.schedule for k in rule_kinds(rule.kinds, config)}
    if not config.schedule or kind in drawn:
        return None
    shown = " and ".join(drawn)
    if any(kind in rule.kinds for rule in config.schedule):  # a rule for both, narrowed by content.kinds
        return (
            f"your config shows only {shown} messages (content.kinds),"
            f" so {what} won't come until you add {kind} there"
        )
    where = "the kind: of each rule" if kind in config.kinds else "content.kinds, and the kind: of each rule"
    return (
        f"your config shows only {shown} messages ({where}), so {what} won't come"
        f" until you choose {kind} too; `kindnudge setup` asks which kinds"
    )


def visible(library: Library, kinds: Sequence[str], marks: dict[str, str]) -> dict[str, list[Message]]:
    """The messages of each kind that may still come (hidden ones never do)."""
    return {kind: [m for m in library.of_kind(kind) if marks.get(m.id) != "hidden"] for kind in kinds}


def why_nothing(library: Library, kinds: Sequence[str], marks: dict[str, str]) -> str | None:
    """Why no message of `kinds` can come, or None when one can."""
    if any(visible(library, kinds, marks).values()):
        return None
    named = " and ".join(kinds)
    if any(library.of_kind(kind) for kind in kinds):
        return f"every {named} message is hidden; `kindnudge hide ID --undo` brings one back"
    return f'there are no {named} messages; add one with `kindnudge add "..." --kind {kinds[0]}`'


def draw(
    library: Library,
    kinds: Sequence[str],
    state: State,
    rng: Random,
    favourite_weight: int = 1,
    day: Day | None = None,
) -> Pick:
    """The next message from the bag of one of `kinds`, without consuming it.

    Only kinds with a message left to show are drawn from, so hiding every
    self-care message leaves the reframes of a rule for both. Hidden messages
    never come; favourites come `favourite_weight` times as often. On a
    journey's `day`, only that day's stage is drawn from (journey.pool), and
    its messages come round again once all have come.
    """
    marks = state.marks()
    candidates = visible(library, kinds, marks)
    if day:
        candidates = {kind: pool(messages, day)[0] for kind, messages in candidates.items()}
    kinds_left = [kind for kind in kinds if candidates[kind]]
    if not kinds_left:
        raise NothingToShow(why_nothing(library, kinds, marks))
    kind = rng.choice(kinds_left)
    favourites = {i for i, mark in marks.items() if mark == "favourite"}
    return pick(
        candidates[kind], state.seen(kind), state.last_delivered(kind), rng, favourites, favourite_weight
    )


def notification_for(
    message: Message, config: Config, interactive: bool = False, replaces: int = 0, reveal: bool = False
) -> Notification:
    """`interactive`: shown by the daemon, which stays to answer its buttons and
    identifies as the application; a short-lived sender does neither. When
    discreet, the words show only with `reveal` (the person asked), and the
    desktop keeps no copy in its list either way."""
    from kindnudge.notify import Notification
    from kindnudge.notify.notification import DESKTOP_ID

    title, text = config.title_for(message.kind), message.text
    veiled = config.discreet and not reveal
    if veiled:
        offered: tuple[tuple[str, str], ...] = ((DEFAULT, "Open"), (SHOW, "Show"))
    else:
        offered = ((DEFAULT, "Dismiss"), *(BUTTONS if config.buttons else ()))
    return Notification(
        DISCREET_TITLE if veiled else title,
        DISCREET_ELSEWHERE if veiled else text,
        config.timeout,
        icon=str(icon_file()),
        urgency=config.urgency,
        actions=tuple(word for pair in offered for word in pair) if interactive else (),
        replaces=replaces,
        desktop_entry=DESKTOP_ID if interactive else "",
        transient=config.discreet,
        body_with_actions=DISCREET_CLICK if veiled else "",
        words=(title, text) if veiled else (),
    )


class Delivery(NamedTuple):
    message: Message
    error: DeliveryError | None  # None: the desktop took it
    receipt: Receipt | None = None  # where its buttons will be answered from, if anywhere
    veiled: bool = False  # discreet: shown without its words until revealed
    let_go: datetime | None = None  # due time of a held nudge that a `now` took the place of


class Claim(NamedTuple):
    """A drawn message with its history row, committed before it is shown."""

    message: Message
    row: int
    asked_at: datetime | None = None  # a `kindnudge now`: shown, it ends any held nudge


def claim(
    library: Library,
    config: Config,
    kinds: Sequence[str],
    state: State,
    now: datetime,
    rng: Random,
    rule: str | None = None,
    due: datetime | None = None,
    day: Day | None = None,
    row: int | None = None,
) -> Claim:
    """Draw the next message, count it as seen and record it as `sending`
    (in `row`, a held nudge's, rather than a new row).

    Call inside `state.transaction()`. Committing this before the message is
    shown means a crash mid-delivery can neither repeat it nor lose its record.
    """
    drawn = draw(library, kinds, state, rng, config.favourite_weight, day)
    message = drawn.message
    entry = HistoryEntry(now, rule, message.kind, message.id, message.text, "sending", None, due)
    if row is None:
        row = state.record(entry)
    else:
        state.reuse(row, entry)
    state.mark_seen(message.kind, message.id, drawn.refill)
    return Claim(message, row)


def deliver(
    claimed: Claim,
    config: Config,
    notifier: Chain | Alongside,
    state: State,
    interactive: bool = False,
    replaces: int = 0,
    reason: str | None = None,
    reveal: bool = False,
) -> Delivery:
    """Show a claimed message, then settle its row in one short transaction.

    Whatever is raised while showing it, the row does not stay `sending`: an
    error settles it `failed` and puts the message back in the bag (it will
    still come); an interruption (Ctrl+C) settles it `interrupted` (or held
    again, if it was held: State.interrupted). `reason`:
    what a delivered row says instead of the backend (Another's "another").
    `reveal`: with its words even when discreet (the person is looking).
    """
    message = claimed.message
    error: DeliveryError | None = None
    sent = None
    let_go: list[datetime] = []
    try:
        sent = notifier.send(notification_for(message, config, interactive, replaces, reveal))
        earlier = sent.failures
    except DeliveryError as exc:
        error, earlier = exc, []
    except Exception as exc:  # a bug here or in a library must not strand the row
        from kindnudge.notify import unexpected

        error, earlier = unexpected(exc, f"showing {message.id}"), []
    except BaseException:
        with state.transaction():
            state.interrupted(claimed.row)
        raise
    with state.transaction():
        if error:
            state.settle(claimed.row, "failed", str(error))
            state.unsee(message.kind, message.id)
        else:  # one row per slot: what failed before a fallback delivered goes in its reason
            if claimed.asked_at:
                let_go = _end_held(state, claimed.asked_at, config)
            after = f" after {'; '.join(earlier)}" if earlier else ""
            state.settle(claimed.row, "delivered", reason or f"by {sent.backend}{after}")
    veiled = config.discreet and not reveal
    return Delivery(
        message, error, sent.receipt if sent and not error else None, veiled, max(let_go, default=None)
    )


def by_hand(
    library: Library,
    config: Config,
    kinds: Sequence[str],
    state: State,
    notifier: Chain | Alongside | None,
    now: datetime,
    rng: Random,
    paused: Callable[[datetime], None],
    day: Day | None = None,
    interactive: bool = False,
) -> Delivery:
    """`kindnudge now`, in whichever process shows it (the command itself, or
    the daemon it asked). No `notifier`: a dry run, which only draws, so the
    message stays in the bag. A pause is overridden, since the person asked;
    `paused(until)` is told so before the nudge is shown. On a journey, `day`
    is today's: the nudge comes from its stage, as a firing's would.
    `interactive`: with buttons, for a daemon that answers them."""
    if notifier is None:
        return Delivery(draw(library, kinds, state, rng, config.favourite_weight, day).message, None)
    until = state.get_moment(PAUSED_UNTIL)
    with state.transaction():
        claimed = claim(library, config, kinds, state, now, rng, day=day)._replace(asked_at=now)
    if until and until > now:
        paused(until)
    return deliver(claimed, config, notifier, state, interactive)


def _end_held(state: State, asked_at: datetime, config: Config) -> list[datetime]:
    """A nudge held through a bad moment would come soon after the one the
    person asked for: it ends skipped, in the same transaction, so not both."""
    from kindnudge.holding import asked_for

    reason = asked_for(asked_at, config.zone())
    return end_held(state, asked_at, lambda _why: reason)


def end_held(state: State, at: datetime, because: Callable[[str], str]) -> list[datetime]:
    """Settle every held nudge `skipped` at `at`, its reason `because(what held it)`;
    their due times. Call inside `state.transaction()`."""
    from kindnudge.holding import why_held

    ended = []
    for row, entry in state.held():
        reason = because(why_held(entry.reason))
        state.reuse(row, entry._replace(at=at, status="skipped", reason=reason))
        due = entry.due or entry.at
        ended.append(due)
        logging.getLogger("kindnudge").info(
            "skipped the nudge held for %s, rule %s: %s", due.isoformat(), entry.rule, reason
        )
    return ended
