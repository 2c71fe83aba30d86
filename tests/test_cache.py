"""The JSON cache: after `setup`, commands start without PyYAML, and any
change to a file is seen, even one that keeps its size and modification time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kindnudge import jsoncache, yamlfile
from kindnudge.config import load_config

from conftest import KINDNUDGE, run

RULE = 'timezone: UTC\nquiet_hours: []\nschedule:\n  - at: "08:30"\n'


def next_at(*args: str) -> str:
    result = run("next", "-n", "1", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]["at"][11:16]


def rewrite_keeping_size_and_mtime(path, old: str, new: str) -> None:
    """An edit no size-and-mtime key can see: same length, and dated back."""
    before = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.no_mutmut
def test_after_setup_a_command_starts_without_what_it_needn_t_import(home):
    for args in (["setup", "--yes", "--no-test"], ["add", "You are allowed to rest.", "--kind", "self-care"]):
        assert run(*args).returncode == 0
    assert run("now", "--dry-run").returncode == 0  # the first run after a change parses and caches
    result = subprocess.run(
        [sys.executable, "-X", "importtime", KINDNUDGE, "now", "--dry-run"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert {"kindnudge.config", "kindnudge.library", "argparse"} <= imported
    # PyYAML (11 ms; the cache has it all), platformdirs (4 ms; paths.py knows the XDG
    # rule) and shutil (3 ms; argparse wanted it for the terminal's width)
    unneeded = {"yaml", "kindnudge.yamlloader", "platformdirs", "shutil"}
    assert not {name for name in imported if name in unneeded or name.split(".")[0] in unneeded}


def test_the_cached_config_is_used_and_an_edit_dated_back_is_seen(config_file, home):
    config_file.write_text(RULE)
    assert next_at() == "08:30"
    (entry,) = (home / "cache" / "kindnudge").glob("config-*.json")
    entry.write_text(entry.read_text().replace("08:30", "11:11"))
    assert next_at() == "11:11"  # read from the cache, not the file

    rewrite_keeping_size_and_mtime(config_file, "08:30", "09:30")
    assert next_at() == "09:30"
    rewrite_keeping_size_and_mtime(config_file, "09:30", "99:30")  # now a mistake
    result = run("next")
    assert result.returncode == 2
    assert result.stderr.startswith(f"kindnudge: {config_file}:4:9: ")
    assert result.stderr.count("\n") == 1


def test_an_own_message_edited_and_dated_back_is_seen(home):
    assert run("add", "Rest now.", "--kind", "self-care").returncode == 0
    own = home / "config" / "kindnudge" / "my-messages.yaml"

    def texts() -> list[str]:
        result = run("list", "--json", "--kind", "self-care")
        assert result.returncode == 0, result.stderr
        return [m["text"] for m in json.loads(result.stdout) if m["pack"] == "my-messages"]

    assert texts() == ["Rest now."]
    rewrite_keeping_size_and_mtime(own, "Rest now.", "Walk now.")
    assert texts() == ["Walk now."]


def test_a_mistake_found_through_the_cached_config_names_the_same_place(config_file):
    config_file.write_text("content:\n  packs: [extra.yaml]\n")
    (config_file.parent / "extra.yaml").write_text("messages: []\n")
    assert run("check").returncode in (0, 1)  # fine apart from the desktop; the config is now cached
    (config_file.parent / "extra.yaml").unlink()
    result = run("check")
    assert result.returncode == 2
    assert result.stderr.startswith(f"kindnudge: {config_file}:2:11: pack file ")


DOCUMENTS = [
    RULE,
    "a: 1\nb: [1.5, true, null, {c: d}]\n3: three\n0.5: half\n~: nothing\n",
    "- - nested\n  - [list]\n- {}\n- []\n",
    "x: &a {y: [1, 2]}\nz: *a\nmerged:\n  <<: *a\n  w: 3\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_a_document_comes_back_from_json_with_every_position(tmp_path, text):
    path = tmp_path / "doc.yaml"
    original = yamlfile.parse(text, path)
    copy = jsoncache.load_document(json.loads(json.dumps(jsoncache.dump_document(original))), path)

    def positions(value) -> list:
        if isinstance(value, dict):
            inner = [(k, value.key_at(k), value.at(k), *positions(v)) for k, v in value.items()]
            return [type(value), value.where, inner]
        if isinstance(value, list):
            inner = [(value.at(i), *positions(v)) for i, v in enumerate(value)]
            return [type(value), value.where, inner]
        return [type(value), value]

    assert copy == original
    assert positions(copy) == positions(original)


def test_a_broken_cache_only_costs_time(config_file, tmp_path):
    config_file.write_text(RULE)
    cache = tmp_path / "cache"
    first = load_config(config_file, True, cache)
    (entry,) = cache.glob("config-*.json")
    stored = json.loads(entry.read_text())
    for value in ({"map": 5}, {"seq": [1]}, [1, 2], "text", {"other": 1}):
        entry.write_text(json.dumps({**stored, "value": value}))
        assert load_config(config_file, True, cache) == first
    entry.write_text("{not json")
    assert load_config(config_file, True, cache) == first


def test_only_a_regular_file_is_cached(tmp_path):
    fifo, regular = tmp_path / "fifo.yaml", tmp_path / "config.yaml"
    os.mkfifo(fifo)
    regular.write_text(RULE)
    assert jsoncache.key(fifo) is None  # a pipe's stamp says nothing about what comes through it
    assert jsoncache.key(tmp_path / "absent.yaml") is None
    assert jsoncache.key(regular)[0] == str(regular)
