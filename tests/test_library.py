"""A user's own pack: loaded beside the built-ins, and every mistake located."""

from __future__ import annotations

import os

import pytest

from kindnudge import library, paths
from kindnudge.errors import ConfigError
from kindnudge.library import load_all

from conftest import run

GOOD = """title: Mine
messages:
  - id: mine-1
    kind: reframe
    text: You are allowed to take up space.
  - id: mine-2
    kind: self-care
    section: Conclusion
    stage: first-days
    text: Make yourself a warm drink and sit with it for five minutes.
"""


def test_own_pack_joins_the_built_in_ones(tmp_path):
    pack = tmp_path / "mine.yaml"
    pack.write_text(GOOD)
    library = load_all(paths.builtin_packs_dir(), [(pack, None)])
    mine = library.get("mine-1")
    assert mine.kind == "reframe" and mine.section is None and mine.pack == "mine" and mine.stage is None
    assert library.get("mine-2").stage == "first-days"
    assert library.get("redirection") is not None


@pytest.mark.parametrize(
    ("edit", "where", "words"),
    [
        (("id: mine-2", "id: mine-1"), "6:9", "duplicate id 'mine-1' (first at {pack}:3:9)"),
        (
            ("kind: self-care", "kind: selfcare"),
            "7:11",
            "unknown kind 'selfcare'; write one of: reframe, self-care",
        ),
        (("text: Make", "text: ''  # Make"), "10:11", "text is empty; write some words"),
        (("text: Make", "text: 5  # Make"), "10:11", "text must be words, got the number 5"),
        (
            ("text: Make", 'text: "Make\\0 tea"  # Make'),
            "10:11",
            "(U+0000) at character 5, which a notification cannot show; remove it",
        ),
        (("text: Make", 'text: "\\e[31mMake"  # Make'), "10:11", "control character (U+001B) at character 1"),
        (
            ("text: Make", 'text: "\\u200b\\u2060\\ufeff \\t"  # Make'),
            "10:11",
            "only of invisible characters (such as zero-width spaces); write some words",
        ),
        (("section: Conclusion", "section: " + "so " * 70), "8:14", "section is 209 characters"),
        (("section: Conclusion", 'section: "Con\\x07"'), "8:14", "section has a control character (U+0007)"),
        (("id: mine-1", 'id: "mine-1\\n"'), "3:9", r"id 'mine-1\n' is not usable"),
        (("id: mine-1", "id: true"), "3:9", "an id is a word, got true (a yes/no value); put it in quotes"),
        (("id: mine-1", "id: 1.5"), "3:9", "an id is a word, got the number 1.5"),
        (
            ("text: Make", "text: " + "so " * 70 + "Make"),
            "10:11",
            "keep it to 200 or fewer so it fits a notification",
        ),
        (("    section:", "    sektion:"), "8:5", "unknown message key 'sektion'; did you mean 'section'?"),
        (
            ("id: mine-1", "id: 'my first'"),
            "3:9",
            "id 'my first' is not usable; use letters, digits, '-', '_' or '.'"
            " (at most 64), e.g. 'write-the-letter'",
        ),
        (("  - id: mine-2\n", "  - idx: mine-2\n"), "6:5", "unknown message key 'idx'"),
        (("messages:", "mesages:"), "1:1", "a pack is a mapping with a 'messages:' list"),
        (("title: Mine", "titel: Mine"), "1:1", "unknown pack key 'titel'; did you mean 'title'?"),
        (("    kind: reframe\n", ""), "3:5", "this message has no 'kind'; add one"),
        (("  - id: mine-1\n    kind", "  - kind"), "3:5", "this message has no 'id'; add one"),
        (("    text: You are allowed to take up space.\n", ""), "3:5", "this message has no 'text'; add one"),
        (
            ("  - id: mine-1\n", "  - just words\n  - id: mine-1\n"),
            "3:5",
            "mapping with id, kind and text, got 'just words'",
        ),
        (("stage: first-days", "stage: [first-days]"), "9:12", "a list is not a stage name; write one word"),
        (("stage: first-days", "stage: first days"), "9:12", "stage 'first days' is not a stage name"),
    ],
)
def test_pack_mistakes_name_file_and_line(tmp_path, edit, where, words):
    pack = tmp_path / "mine.yaml"
    pack.write_text(GOOD.replace(*edit))
    with pytest.raises(ConfigError) as error:
        load_all(paths.builtin_packs_dir(), [(pack, None)])
    assert str(error.value).startswith(f"{pack}:{where}: ")
    assert words.format(pack=pack) in str(error.value)


def test_an_id_clashing_with_a_built_in_one_is_refused(tmp_path):
    pack = tmp_path / "mine.yaml"
    pack.write_text(GOOD.replace("id: mine-1", "id: redirection"))
    with pytest.raises(
        ConfigError,
        match=r"mine.yaml:3:9: duplicate id 'redirection' \(first at .*reframes.*\);"
        r" give each message its own id$",
    ):
        load_all(paths.builtin_packs_dir(), [(pack, None)])


def test_a_built_in_message_must_say_which_section_it_comes_from_an_own_one_need_not(tmp_path):
    """Every built-in message is derived from the article and records where."""
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "reframes.yaml").write_text(GOOD)  # mine-1 has no section
    with pytest.raises(ConfigError, match=r"reframes.yaml:3:5: this message has no 'section'; add one"):
        load_all(builtin, [])
    own = tmp_path / "mine.yaml"
    own.write_text(GOOD)
    assert [m.id for m in load_all(tmp_path / "none", [(own, None)]).messages] == ["mine-1", "mine-2"]


@pytest.mark.parametrize(
    "text",
    ["", "# nothing yet\n", "title: Mine\n", "description: Words for me\n", "source: my notebook\n"],
)
def test_a_pack_with_nothing_but_its_title_description_or_source_is_one_with_no_messages(tmp_path, text):
    """What a person writes first, before any message: `kindnudge add` starts from it."""
    own = tmp_path / "mine.yaml"
    own.write_text(text)
    assert library.load_pack(own, require_section=False) == []


@pytest.mark.parametrize(
    ("text", "where"),
    [("just some words\n", "1:1"), ("# my words\n\nmesages: []\n", "3:1"), ("# mine\n- a\n- b\n", "2:1")],
)
def test_a_pack_that_is_not_a_mapping_of_messages_is_named_where_it_begins(tmp_path, text, where):
    own = tmp_path / "mine.yaml"
    own.write_text(text)
    with pytest.raises(ConfigError) as error:
        library.load_pack(own, require_section=False)
    assert str(error.value) == f"{own}:{where}: a pack is a mapping with a 'messages:' list; see the README"


def test_messages_that_are_not_a_list_are_named_at_their_key(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("title: Mine\nmessages: none yet\n")
    with pytest.raises(ConfigError) as error:
        library.load_pack(own, require_section=False)
    assert str(error.value) == f"{own}:2:11: 'messages' must be a list of messages, got 'none yet'"


def test_a_text_of_exactly_two_hundred_characters_fits(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text(f"messages:\n  - {{id: long, kind: reframe, text: '{'a' * 199}.'}}\n")
    ((message, _where),) = library.load_pack(own, require_section=False)
    assert len(message.text) == 200


def test_missing_pack_is_reported_at_the_config_line(config_file):
    config_file.write_text("content:\n  packs:\n    - nowhere.yaml\n")
    result = run("check")
    assert result.returncode == 2
    assert result.stderr.startswith(f"kindnudge: {config_file}:3:7: pack file ")
    assert "nowhere.yaml was not found" in result.stderr


def test_list_json_shows_own_messages_with_their_pack(config_file):
    (config_file.parent / "mine.yaml").write_text(GOOD)
    config_file.write_text("content:\n  packs: [mine.yaml]\n")
    import json

    result = run("list", "--json", "--kind", "self-care")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {"id": "mine-2", "kind": "self-care", "pack": "mine", "section": "Conclusion", "mark": None,
            "stage": "first-days",
            "text": "Make yourself a warm drink and sit with it for five minutes."} in listed  # fmt: skip
    assert all(set(item) == {"id", "kind", "text", "section", "pack", "mark", "stage"} for item in listed)
    assert {item["kind"] for item in listed} == {"self-care"}


def test_checked_packs_are_cached_and_an_edit_is_seen_at_once(tmp_path):
    cache = tmp_path / "cache"
    pack = tmp_path / "mine.yaml"
    pack.write_text(GOOD)

    def mine_1() -> str:
        return load_all(paths.builtin_packs_dir(), [(pack, None)], cache).get("mine-1").text

    first = load_all(paths.builtin_packs_dir(), [(pack, None)], cache)
    assert len(list(cache.glob("pack-*.json"))) == 3  # two built-in packs and this one
    assert load_all(paths.builtin_packs_dir(), [(pack, None)], cache) == first
    (entry,) = [e for e in cache.glob("pack-*.json") if "take up space" in e.read_text()]
    entry.write_text(entry.read_text().replace("take up space", "be cached"))
    assert mine_1() == "You are allowed to be cached."  # read from the cache, not the pack
    before = pack.stat()  # an edit of the same size, dated back to the same mtime
    pack.write_text(GOOD.replace("take up space", "take up SPACE"))
    os.utime(pack, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (pack.stat().st_size, pack.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert mine_1() == "You are allowed to take up SPACE."
    pack.write_text(GOOD.replace("take up space", "rest"))
    assert mine_1() == "You are allowed to rest."
    for cached in cache.glob("pack-*.json"):
        cached.write_text("{not json")
    assert mine_1() == "You are allowed to rest."


def test_the_cache_keeps_apart_what_was_checked_another_way(tmp_path, monkeypatch):
    """A pack read as one's own (no section needed) is not taken as checked for a
    built-in one; rows written in another cache format are not read."""
    cache = tmp_path / "cache"
    folder = tmp_path / "packs"
    folder.mkdir()
    pack = folder / "mine.yaml"
    pack.write_text(GOOD)  # mine-1 has no section
    assert load_all(tmp_path / "none", [(pack, None)], cache).get("mine-1")
    with pytest.raises(ConfigError, match="this message has no 'section'"):
        load_all(folder, [], cache)

    (entry,) = cache.glob("pack-*.json")
    entry.write_text(entry.read_text().replace("take up space", "be cached"))
    assert load_all(tmp_path / "none", [(pack, None)], cache).get("mine-1").text.endswith("be cached.")
    monkeypatch.setattr(library, "_CACHE_FORMAT", library._CACHE_FORMAT + 1)
    assert load_all(tmp_path / "none", [(pack, None)], cache).get("mine-1").text.endswith("take up space.")


def test_a_pack_that_is_a_named_pipe_is_named_even_with_a_cache(tmp_path):
    pipe = tmp_path / "mine.yaml"
    os.mkfifo(pipe)
    with pytest.raises(ConfigError, match="this is a named pipe, not a file"):
        load_all(tmp_path / "none", [(pipe, None)], tmp_path / "cache")


def test_a_duplicate_found_through_the_cache_still_names_its_line(tmp_path):
    cache = tmp_path / "cache"
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD)
    load_all(paths.builtin_packs_dir(), [(first, None)], cache)
    second.write_text(GOOD.replace("mine-2", "other"))
    with pytest.raises(ConfigError, match=rf"b.yaml:3:9: duplicate id 'mine-1' \(first at {first}:3:9\)"):
        load_all(paths.builtin_packs_dir(), [(first, None), (second, None)], cache)


def test_a_text_block_folds_into_one_paragraph_and_a_whole_number_id_is_its_digits(tmp_path):
    """A notification is one paragraph: `text: |` lines join with a space."""
    pack = tmp_path / "mine.yaml"
    pack.write_text(GOOD.replace("id: mine-1", "id: 12").replace(
        "text: You are allowed to take up space.", "text: |\n      You are allowed\n      to take up space.\n"
    ))  # fmt: skip
    mine = load_all(paths.builtin_packs_dir(), [(pack, None)]).get("12")
    assert mine.text == "You are allowed to take up space."
