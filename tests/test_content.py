"""The built-in packs: faithful to the article, short, gentle, and well-formed.

The article's headings are copied here so this test runs without the article.
"""

from __future__ import annotations

import re

import pytest

from kindnudge import paths
from kindnudge.library import MAX_TEXT, load_all

ARTICLE_HEADINGS = {
    "My Ex Pushed Me Away",
    "Why Your Ex Pushed You Away",
    "The Emotional Impact of Being Pushed Away",
    "Was It My Fault?",
    "Signs Your Ex Was Emotionally Unavailable",
    "Why It Still Hurts (Even If You Knew It Was Coming)",
    "Should You Reach Out for Answers?",
    "What to Do Instead of Chasing Closure",
    "Can Someone Who Pushed You Away Ever Come Back?",
    "Reframing the Experience",
    "Conclusion",
}

LIBRARY = load_all(paths.builtin_packs_dir(), [])


def test_enough_messages_of_each_kind():
    assert len(LIBRARY.of_kind("reframe")) >= 20
    assert len(LIBRARY.of_kind("self-care")) >= 15


@pytest.mark.parametrize("message", LIBRARY.messages, ids=lambda m: m.id)
def test_message_cites_a_real_heading_and_fits_a_notification(message):
    assert message.section in ARTICLE_HEADINGS
    assert 0 < len(message.text) <= MAX_TEXT
    assert re.search(r"\byou(r|rs|rself)?\b", message.text, re.IGNORECASE), "second person"


def test_ids_are_unique():
    ids = [m.id for m in LIBRARY.messages]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("Reframing the Experience", "protection"),
        ("Reframing the Experience", "clarity"),
        ("Reframing the Experience", "freedom"),
        ("Reframing the Experience", "growth"),
        ("Reframing the Experience", "redirection, not rejection"),
        ("Why Your Ex Pushed You Away", "inner battles"),
        ("What to Do Instead of Chasing Closure", "closure is not something"),
        ("Was It My Fault?", "blame"),
        ("Conclusion", "stays, grows, and chooses you"),
    ],
)
def test_the_articles_reframes_are_there(section, words):
    assert any(
        m.kind == "reframe" and m.section == section and words in m.text.lower() for m in LIBRARY.messages
    ), f"no reframe from {section!r} about {words!r}"


@pytest.mark.parametrize(
    "words",
    ["letter you will never send", "therapist or a support group", "breadcrumb", "journal", "your body"],
)
def test_the_articles_ways_forward_are_self_care_prompts(words):
    assert any(m.kind == "self-care" and words in m.text for m in LIBRARY.messages), words


def test_self_care_includes_reflection_questions():
    questions = [m for m in LIBRARY.of_kind("self-care") if "?" in m.text]
    assert len(questions) >= 3
