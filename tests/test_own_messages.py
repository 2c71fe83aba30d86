"""Your own messages, favourites and hidden ones, and `config path|show|edit`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from kindnudge import paths
from kindnudge.state import HistoryEntry, State

from conftest import run


def listed(kind: str | None = None) -> list[dict]:
    return json.loads(run("list", "--json", *(["--kind", kind] if kind else [])).stdout)


def test_add_then_remove_an_own_message(config_file):
    result = run("add", "You are allowed to take up space.", "--kind", "reframe")
    assert result.stdout == "Added my-you-are-allowed-to-take: You are allowed to take up space.\n"
    mine = [m for m in listed() if m["pack"] == "my-messages"]
    text = "You are allowed to take up space."
    expected = {"id": "my-you-are-allowed-to-take", "kind": "reframe", "text": text, "section": None}
    assert mine == [{**expected, "pack": "my-messages"}]
    assert (config_file.parent / "my-messages.yaml").exists()
    assert run("remove", "my-you-are-allowed-to-take").returncode == 0
    assert [m for m in listed() if m["pack"] == "my-messages"] == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["add", "  you are ALLOWED to take up space. ", "--kind", "reframe"],
            "already there, as 'my-you-are",
        ),
        (["add", "x" * 201, "--kind", "self-care"], "201 characters; keep it to 200"),
        (["add", "   ", "--kind", "self-care"], "the message is empty"),
        (["add", "no kind"], "the following arguments are required: --kind"),
        (["remove", "redirection"], "comes with the reframes pack, not from `add`; to stop seeing it, use"),
        (["remove", "nope"], "there is no message 'nope'"),
        (["hide", "nope"], "there is no message 'nope'"),
        (["favourite", "last"], "nothing has been shown yet"),
    ],
)
def test_own_message_mistakes(config_file, args, words):
    run("add", "You are allowed to take up space.", "--kind", "reframe")
    result = run(*args)
    assert result.returncode == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_hidden_messages_never_come_and_last_means_the_last_one_shown(config_file):
    config_file.write_text("notification:\n  backend: console\n")
    reframes = [m["id"] for m in listed("reframe")]
    for message_id in reframes[2:]:
        assert run("hide", message_id).returncode == 0
    shown = [run("now", "--kind", "reframe").stdout for _ in range(4)]
    assert all(any(m["text"] in s for m in listed("reframe") if m["id"] in reframes[:2]) for s in shown)
    last = json.loads(run("history", "--json", "-n", "1").stdout)[0]["id"]
    assert run("hide", "last").stdout.startswith(f"{last} will not be shown again")
    remaining = ({*reframes[:2]} - {last}).pop()
    assert all(remaining in json.loads(run("history", "--json", "-n", "1").stdout)[0]["id"]
               for _ in range(2) if run("now", "--kind", "reframe").returncode == 0)  # fmt: skip
    assert run("hide", "--undo", last).stdout.startswith(f"{last} is no longer hidden")


def test_favourite_and_undo(config_file):
    assert run("favourite", "clarity").stdout.startswith("clarity will come more often")
    assert run("favourite", "--undo", "clarity").stdout.startswith("clarity is no longer favourite")
    assert run("favourite", "--undo", "clarity").stdout == "clarity was not favourite\n"


def test_last_after_its_message_is_gone_is_refused_yet_its_mark_can_still_be_undone(config_file):
    pack = config_file.parent / "extra.yaml"
    pack.write_text("messages:\n  - id: gone-soon\n    kind: reframe\n    text: Here today.\n")
    config_file.write_text("content:\n  packs: [extra.yaml]\n")
    assert run("hide", "gone-soon").returncode == 0
    with State(paths.state_db()) as state, state.transaction():  # it was shown before it was hidden
        now = datetime.now(timezone.utc)
        state.record(HistoryEntry(now, "r", "reframe", "gone-soon", "Here today.", "delivered", None, now))
    config_file.write_text("content:\n  packs: []\n")  # the pack is dropped
    gone = (
        "kindnudge: the message shown last, 'gone-soon', is gone from your messages"
        " (removed, or its pack dropped)\n"
    )
    for mark in ("hide", "favourite"):
        result = run(mark, "last")
        assert (result.returncode, result.stderr) == (2, gone)
    result = run("hide", "--undo", "last")
    assert (result.returncode, result.stdout) == (
        0,
        "gone-soon is no longer hidden: (no longer among your messages)\n",
    )
    result = run("hide", "--undo", "gone-soon")  # no mark left, no message: nothing to undo
    assert result.returncode == 2
    assert result.stderr == "kindnudge: there is no message 'gone-soon'; `kindnudge list` shows them all\n"


def test_config_path_and_show(config_file):
    assert run("config", "path").stdout == f"{config_file} (not created yet; the built-in defaults apply)\n"
    config_file.write_text("catch_up: 30m\n")
    assert run("config", "path").stdout == f"{config_file}\n"
    shown = run("config", "show").stdout
    assert (
        "\ncatch_up: 30m\n" in shown
        and "\n  timeout: 20s\n" in shown
        and "\nquiet_hours: ['22:00', '07:00']\n" in shown
    )


EDITOR = """import sys, pathlib
path = pathlib.Path(sys.argv[1])
log = pathlib.Path(sys.argv[0]).with_suffix(".log")
seen = log.read_text() if log.exists() else ""
log.write_text(seen + "---\\n" + path.read_text())
path.write_text(sys.stdin and {content!r}[min(seen.count("---"), {last})])
"""


def editor(tmp_path, *contents: str) -> tuple[str, object]:
    script = tmp_path / "fake-editor.py"
    script.write_text(EDITOR.format(content=list(contents), last=len(contents) - 1))
    return f"{sys.executable} {script}", script.with_suffix(".log")


def test_config_edit_reopens_a_broken_file_with_the_problem_on_top(tmp_path, config_file):
    command, log = editor(tmp_path, "catch_up: soon\n", "catch_up: 45m\n")
    result = subprocess.run(
        [sys.executable, "-m", "kindnudge", "config", "edit"], input="y\n", capture_output=True, text=True,
        env={**os.environ, "EDITOR": command},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{config_file}:1:11: 'soon' is not a duration" in result.stdout
    second_open = log.read_text().split("---\n")[2]
    assert second_open.startswith("# kindnudge: line 2, column 11: 'soon' is not a duration")
    assert config_file.read_text() == "catch_up: 45m\n"


def test_config_edit_given_up_puts_back_the_last_working_file(tmp_path, config_file):
    config_file.write_text("catch_up: 1h\n")
    command, _log = editor(tmp_path, "catch_up: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "kindnudge", "config", "edit"], input="n\n", capture_output=True, text=True,
        env={**os.environ, "EDITOR": command},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Put back your last working config; nothing was lost." in result.stdout
    assert config_file.read_text() == "catch_up: 1h\n"
