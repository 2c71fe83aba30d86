"""The shuffle bag: no repeat until everything of a kind has been seen."""

from __future__ import annotations

import itertools
from random import Random

import pytest

from kindnudge.library import Message
from kindnudge.picker import pick


def messages(*ids: str) -> list[Message]:
    return [Message(i, "reframe", f"text {i}", None, "test") for i in ids]


def run_bag(candidates, draws, rng, seen=None, last=None, favourites=(), weight=1):
    seen = set(seen or ())
    shown = []
    for _ in range(draws):
        result = pick(candidates, seen, last, rng, favourites, weight)
        seen -= result.refill
        seen.add(result.message.id)
        last = result.message.id
        shown.append(last)
    return shown, seen, last


def test_every_message_once_per_cycle_for_many_seeds():
    pool = messages(*(f"m{i}" for i in range(17)))
    for seed in range(200):
        shown, _, _ = run_bag(pool, 17 * 3, Random(seed))
        for cycle in range(3):
            assert sorted(shown[cycle * 17 : (cycle + 1) * 17]) == sorted(m.id for m in pool)


def test_no_back_to_back_repeat_when_a_cycle_restarts():
    pool = messages("a", "b")
    for seed in range(100):
        shown, _, _ = run_bag(pool, 20, Random(seed))
        assert all(x != y for x, y in itertools.pairwise(shown))


def test_single_message_can_repeat_rather_than_fail():
    shown, _, _ = run_bag(messages("only"), 3, Random(1))
    assert shown == ["only"] * 3


def test_messages_added_mid_cycle_join_the_current_bag():
    rng = Random(7)
    _, seen, last = run_bag(messages("a", "b", "c"), 2, rng)
    grown = messages("a", "b", "c", "d", "e")
    shown, _, _ = run_bag(grown, 3, rng, seen, last)
    assert sorted(shown) == sorted({"a", "b", "c", "d", "e"} - seen)


def test_removed_messages_leave_the_bag():
    """A seen "d" was removed from its pack: the round ends once a, b and c have
    come, not a draw early for a stale mark."""
    remaining = messages("a", "b", "c")
    for seed in range(20):
        shown, _, _ = run_bag(remaining, 6, Random(seed), seen={"d"}, last="d")
        assert sorted(shown[:3]) == sorted(shown[3:]) == ["a", "b", "c"], (seed, shown)


def test_same_seed_same_order():
    pool = messages(*"abcdefgh")
    assert run_bag(pool, 8, Random(42))[0] == run_bag(pool, 8, Random(42))[0]


@pytest.mark.parametrize("weight", [2, 3, 5])
@pytest.mark.parametrize("seed", [9, 10, 11])
def test_favourites_come_about_weight_times_as_often_without_repeats_in_their_round(weight, seed):
    pool = messages(*(f"m{i}" for i in range(20)))
    favourites = {"m0", "m1"}
    shown, _, _ = run_bag(pool, 4000, Random(seed), favourites=favourites, weight=weight)
    per_favourite = sum(shown.count(f) for f in favourites) / 2
    per_other = sum(shown.count(m.id) for m in pool if m.id not in favourites) / 18
    assert weight * 0.85 < per_favourite / per_other < weight * 1.15
    others = [s for s in shown if s not in favourites]
    for i in range(0, len(others) - 18, 18):  # the others' bag: each once per round
        assert len(set(others[i : i + 18])) == 18
    liked = [s for s in shown if s in favourites]
    assert all(a != b for a, b in zip(liked[::2], liked[1::2], strict=False))


def test_weight_one_is_a_plain_bag():
    pool = messages(*"abcdef")
    shown, _, _ = run_bag(pool, 12, Random(2), favourites={"a"}, weight=1)
    assert sorted(shown[:6]) == sorted(shown[6:]) == list("abcdef")


def test_a_favourite_is_not_favoured_unless_a_weight_is_given():
    """Marks alone change nothing: `favourite_weight` is what makes a favourite come more often."""
    candidates = messages("a", "b", "c", "d")
    firsts = [pick(candidates, set(), None, Random(n), favourites={"a"}).message.id for n in range(4000)]
    assert 0.2 < firsts.count("a") / len(firsts) < 0.3  # one in four, as any other
