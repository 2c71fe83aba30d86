"""The shuffle bag: every message of a kind is shown once before any repeats.

Pure: the caller supplies what was already seen this cycle and the random
source, and stores the outcome. Because the bag is "all current messages minus
those seen", messages added to a pack join it and removed ones simply leave.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from random import Random
from typing import NamedTuple

from kindnudge.library import Message


class Pick(NamedTuple):
    message: Message
    refill: frozenset[str] = frozenset()  # ids whose "seen" marks this draw clears


def pick(
    candidates: Sequence[Message],
    seen: Collection[str],
    last_id: str | None,
    rng: Random,
    favourites: Collection[str] = (),
    weight: int = 1,
) -> Pick:
    """Draw one unseen message; on refill, avoid repeating the one just shown.

    With favourites and a weight above 1, favourites form a bag of their own,
    drawn from `weight` times as often per message as the rest; each bag
    still shows every message once before any repeats.
    """
    if not candidates:
        raise ValueError("no messages to pick from")
    group = list(candidates)
    liked = [m for m in candidates if m.id in favourites]
    others = [m for m in candidates if m.id not in favourites]
    if weight > 1 and liked and others:
        share = weight * len(liked) / (weight * len(liked) + len(others))
        group = liked if rng.random() < share else others
    fresh = [m for m in group if m.id not in seen]
    if fresh:
        return Pick(rng.choice(fresh))
    refill = [m for m in group if m.id != last_id] or group
    return Pick(rng.choice(refill), frozenset(m.id for m in group))
