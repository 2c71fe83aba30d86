"""Files that are not what they seem, and text a notification can't show.

Each case runs the installed command as a user would: it must end within
10 s with exit status 2 and one line on stderr that names the file (and the
line and column when there is one), never hang, never fill the memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kindnudge import paths
from kindnudge.library import load_all

from conftest import run

HANG = 10  # seconds: anything slower counts as a hang


def refused(*args: str, env: dict[str, str] | None = None) -> str:
    """Run a command that must refuse; the one line it printed, without 'kindnudge: '."""
    result = run(*args, env=env, timeout=HANG)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kindnudge: "), result.stderr
    return result.stderr.removeprefix("kindnudge: ").rstrip("\n")


def own_messages(config_file: Path) -> Path:
    return config_file.parent / "my-messages.yaml"


SPECIAL = {
    "named pipe": (lambda path: os.mkfifo(path), "this is a named pipe, not a file"),
    "device": (lambda path: path.symlink_to("/dev/zero"), "a symbolic link to /dev/zero, which is a device"),
    "folder": (lambda path: path.mkdir(), "this is a folder, not a file"),
    "link to nowhere": (
        lambda path: path.symlink_to("gone.yaml"),
        "a symbolic link to {folder}/gone.yaml, which does not exist",
    ),
    "link loop": (lambda path: path.symlink_to(path.name), "a symbolic link that leads back to itself"),
}


@pytest.mark.parametrize("which", ["config.yaml", "my-messages.yaml", "a pack"])
@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_file_that_is_no_regular_file_is_named_not_waited_on(config_file, which, kind):
    make, words = SPECIAL[kind]
    if which == "a pack":
        config_file.write_text("content:\n  packs: [mine.yaml]\n")
        path = config_file.parent / "mine.yaml"
    else:
        path = config_file.parent / which
    make(path)
    assert refused("check").startswith(f"{path}: " + words.format(folder=config_file.parent))


def test_a_link_to_a_real_config_is_followed(tmp_path, config_file):
    real = tmp_path / "dotfiles" / "kindnudge.yaml"
    real.parent.mkdir()
    real.write_text("catch_up: 45m\nnotification: {backend: console}\n")
    config_file.symlink_to(real)
    result = run("check", timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert f"config: {config_file}: ok" in result.stdout


def test_a_huge_sparse_file_is_refused_by_its_size(config_file):
    with open(config_file, "wb") as out:
        out.truncate(100 << 30)  # 100 GiB that take no disk space
    assert (
        refused("check")
        == f"{config_file}: the file is 100 GiB, over the limit of 1 MiB; is it the right file?"
    )
    config_file.unlink()
    pack = config_file.parent / "big.yaml"
    with open(pack, "wb") as out:
        out.truncate(33 << 20)
    config_file.write_text("content:\n  packs: [big.yaml]\n")
    assert refused("check") == f"{pack}: the file is 33 MiB, over the limit of 32 MiB; is it the right file?"


def test_a_damaged_or_planted_pack_cache_is_ignored(home, config_file):
    """The JSON cache is read like any other file: a pipe or a device there is a cache miss."""
    assert run("list", timeout=HANG).returncode == 0
    caches = sorted((home / "cache" / "kindnudge").glob("pack-*.json"))
    assert caches
    os.unlink(caches[0])
    os.mkfifo(caches[0])
    caches[1].unlink()
    caches[1].symlink_to("/dev/zero")
    result = run("list", timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert "redirection" in result.stdout


def test_config_edit_refuses_a_pipe_instead_of_hanging(config_file):
    os.mkfifo(config_file)
    result = subprocess.run(
        [sys.executable, "-m", "kindnudge", "config", "edit"], capture_output=True, text=True, timeout=HANG,
        env={**os.environ, "EDITOR": "true"}, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr
        == f"kindnudge: {config_file}: this is a named pipe, not a file; give the path of a .yaml file\n"
    )


def test_a_pack_of_10000_messages_still_loads(config_file):
    pack = config_file.parent / "many.yaml"
    rows = (
        f"  - id: many-{i}\n    kind: {('reframe', 'self-care')[i % 2]}\n    text: Number {i}.\n"
        for i in range(10_000)
    )
    pack.write_text("messages:\n" + "".join(rows))
    config_file.write_text("content:\n  packs: [many.yaml]\nnotification: {backend: console}\n")
    result = run("check", timeout=HANG)
    assert result.returncode == 0, result.stderr
    builtin = load_all(paths.builtin_packs_dir(), [])
    reframes, self_care = (len(builtin.of_kind(kind)) + 5000 for kind in ("reframe", "self-care"))
    assert f"messages: {reframes} reframe, {self_care} self-care" in result.stdout


def test_a_billion_laughs_in_my_messages_is_refused_before_add_expands_it(config_file):
    """Nine aliases of nine aliases...: a few lines that stand for 387 million values."""
    lines = [
        "messages:",
        "  - {id: mine, kind: reframe, text: Hello}",
        "description:",
        "  - &a [x,x,x,x,x,x,x,x,x]",
    ]
    lines += [f"  - &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    path = own_messages(config_file)
    path.write_text("\n".join(lines) + "\n")
    repeated = (
        "the aliases (*name) in this file repeat more than 10,000 values in all; write the values out instead"
    )
    assert refused("check") == f"{path}:8:5: {repeated}"
    assert refused("add", "A new one", "--kind", "reframe") == f"{path}:8:5: {repeated}"


def test_aliases_and_merge_keys_of_ordinary_size_still_work(config_file):
    config_file.write_text(
        "schedule:\n"
        "  - &morning {name: morning, at: '08:30', kind: reframe}\n"
        "  - <<: *morning\n"
        "    name: evening\n"
        "    at: '20:00'\n"
    )
    result = run("next", "-n", "2", "--json", timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert {entry["rule"] for entry in json.loads(result.stdout)} == {"morning", "evening"}


def test_deep_nesting_is_refused_at_its_place(config_file):
    config_file.write_text("schedule: " + "[" * 200 + "]" * 200 + "\n")
    assert refused("check") == (
        f"{config_file}:1:42: this is nested more than 32 levels deep; no kindnudge file needs that many"
    )


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('"You are\\0 enough"', "3:11", "text has a control character (U+0000) at character 8"),
        ('"\\e[5mYou are enough"', "3:11", "text has a control character (U+001B) at character 1"),
        ('"\\u200b\\u2060\\ufeff\\u3164 "', "3:11", "text is made only of invisible characters"),
    ],
)
def test_text_a_notification_cannot_show_is_refused_at_check(config_file, text, where, words):
    path = own_messages(config_file)
    path.write_text(f"messages:\n  - {{id: mine, kind: reframe,\n    text: {text}}}\n")
    assert refused("check").startswith(f"{path}:{where}: {words}")


@pytest.mark.parametrize(
    ("id_", "words"),
    [
        ('"mine\\n"', r"id 'mine\n' is not usable"),
        ("true", "an id is a word, got true (a yes/no value)"),
    ],
)
def test_an_id_must_be_a_word_without_a_trailing_newline(config_file, id_, words):
    path = own_messages(config_file)
    path.write_text(f"messages:\n  - {{id: {id_}, kind: reframe, text: You are enough}}\n")
    assert refused("check").startswith(f"{path}:2:10: {words}")


def test_a_title_with_a_control_character_is_refused_at_check(config_file):
    config_file.write_text('notification:\n  title: "Be\\x07 kind"\n')
    assert refused("check") == (
        f"{config_file}:2:10: the title has a control character (U+0007) at character 3,"
        " which a notification cannot show; remove it"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("You are\x1b[31m enough", "the message has a control character (U+001B) at character 8"),
        ("\u200b\u2060", "the message is made only of invisible characters"),
    ],
)
def test_add_checks_text_as_a_pack_does(config_file, text, words):
    assert refused("add", text, "--kind", "reframe").startswith(words)
    assert not own_messages(config_file).exists()


def test_add_folds_lines_into_one_paragraph(config_file):
    result = run("add", "You are\nallowed\tto rest.", "--kind", "reframe", timeout=HANG)
    assert result.returncode == 0, result.stderr
    assert "You are allowed to rest." in run("list").stdout
