"""YAML as users write it: times stay times, words stay words, tags are refused."""

from __future__ import annotations

import pytest

from kindnudge import yamlfile
from kindnudge.errors import ConfigError


def test_unquoted_clock_time_stays_text_not_base_60():
    assert yamlfile.parse("at: 9:30\nalso: 12:00\n", "c.yaml") == {"at": "9:30", "also": "12:00"}


def test_yes_no_on_off_stay_words():
    assert yamlfile.parse("a: no\nb: on\nc: off\nd: yes\ne: true\n", "c.yaml") == {
        "a": "no", "b": "on", "c": "off", "d": "yes", "e": True,
    }  # fmt: skip


def test_numbers_still_read_as_numbers():
    assert yamlfile.parse("a: 20\nb: 1.5\nc: ~\nd: 0x10\n", "c.yaml") == {
        "a": 20,
        "b": 1.5,
        "c": None,
        "d": 16,
    }


def test_positions_are_one_based_line_and_column():
    data = yamlfile.parse("top:\n  inner: [a, b]\n", "c.yaml")
    assert str(data["top"].at("inner")) == "c.yaml:2:10"
    assert str(data["top"]["inner"].at(1)) == "c.yaml:2:14"


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "c.yaml:1:4",
            "!!python/object/apply:os.system is not allowed",
        ),
        ("a: 1\nb: [1,\n", "c.yaml:3:1", "not valid YAML"),
        ("a: 1\na: 2\n", "c.yaml:2:1", "'a' appears twice"),
        ("a: !custom x\n", "c.yaml:1:4", "!custom is not allowed"),
        ("a: &x [1, *x]\n", "c.yaml:1:4", "an alias (*name) here is inside its own anchor"),
        ("b: &b {k: 1}\na: {<<: *b, j: 1, j: 2}\n", "c.yaml:2:19", "'j' appears twice"),
        ('"a\\nb": 1\n"a\\nb": 2\n', "c.yaml:2:1", r"'a\nb' appears twice"),
    ],
)
def test_bad_yaml_is_located(text, where, words):
    with pytest.raises(ConfigError) as error:
        yamlfile.parse(text, "c.yaml")
    assert str(error.value).startswith(where + ": ")
    assert words in str(error.value)


def test_a_merge_key_brings_defaults_that_own_keys_override():
    text = "base: &base {at: '09:00', kind: reframe}\nrule: {<<: *base, kind: self-care, name: r}\n"
    assert yamlfile.parse(text, "c.yaml")["rule"] == {"at": "09:00", "kind": "self-care", "name": "r"}


def test_unreadable_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="save the file as UTF-8"):
        yamlfile.read(bad)
    with pytest.raises(ConfigError, match="no such file"):
        yamlfile.read(tmp_path / "missing.yaml")
