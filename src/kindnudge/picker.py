"""The shuffle bag: every message of a kind is shown once before any repeats.

Pure: the caller supplies what was already seen this cycle and the random
source, and stores the outcome. Because the bag is "all current messages minus
those seen", messages added to a pack join it and removed ones simply leave.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from random import Random

from kindnudge.library import Message


@dataclass(frozen=True)
class Pick:
    message: Message
    new_cycle: bool  # True when the bag was empty and has just been refilled


def pick(candidates: Sequence[Message], seen: Collection[str], last_id: str | None, rng: Random) -> Pick:
    """Draw one unseen message; on refill, avoid repeating the one just shown."""
    if not candidates:
        raise ValueError("no messages to pick from")
    fresh = [m for m in candidates if m.id not in seen]
    if fresh:
        return Pick(rng.choice(fresh), new_cycle=False)
    refill = [m for m in candidates if m.id != last_id] or list(candidates)
    return Pick(rng.choice(refill), new_cycle=True)
