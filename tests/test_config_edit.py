"""`kindnudge config edit` edits a private copy: the config changes once, when a checked copy replaces it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KINDNUDGE

EDITOR = """#!{python}
import json, pathlib, sys
path, log, config = pathlib.Path(sys.argv[1]), pathlib.Path({log!r}), pathlib.Path({config!r})
opened = log.read_text().splitlines() if log.exists() else []
seen = {{"text": path.read_text(), "name": path.name, "mode": path.stat().st_mode & 0o777,
        "config": config.read_text() if config.exists() else None}}
log.write_text("".join(line + "\\n" for line in [*opened, json.dumps(seen)]))
contents = {contents!r}
if len(opened) < len(contents):
    path.write_text(contents[len(opened)])
{then}
"""


class Editor:
    """A fake editor: at its Nth opening it saves the Nth of `contents` (after
    the last, nothing), and notes what it was given and what the config held."""

    def __init__(
        self, folder: Path, config: Path, *contents: str, name: str = "editor", then: str = ""
    ) -> None:
        self.log = folder / f"{name}.log"
        self.path = folder / name
        folder.mkdir(exist_ok=True)
        self.path.write_text(
            EDITOR.format(
                python=sys.executable,
                log=str(self.log),
                config=str(config),
                contents=list(contents),
                then=then,
            )
        )
        self.path.chmod(0o755)

    def opened(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


def config_edit(env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [KINDNUDGE, "config", "edit"], input=stdin, capture_output=True, text=True, timeout=30,
        env={**os.environ, **env},
    )  # fmt: skip


GOOD = "timezone: UTC\nquiet_hours: []\nschedule:\n  - {name: walk, at: '09:00'}\n"


def test_a_running_daemon_sees_only_the_finished_edit(desktop, config_file, daemons, tmp_path):
    config_file.write_text(GOOD)
    daemon = daemons()
    editor = Editor(tmp_path / "bin", config_file, GOOD + "catch_up: soon\n", GOOD + "catch_up: 45m\n")
    result = config_edit({"EDITOR": str(editor.path)}, stdin="y\n")  # "Fix it now?" yes
    assert result.returncode == 0, result.stderr
    first, second = editor.opened()
    assert (first["name"], first["mode"]) == (".config.editing.yaml", 0o600)
    assert second["text"].startswith("# kindnudge: line 6, column 11: 'soon' is not a duration")
    assert first["config"] == second["config"] == GOOD, "the config was changed while the editor was open"
    log = daemon.wait_for("config reloaded")
    assert log.count("config reloaded") == 1 and "has a problem" not in log and "needs a look" not in log
    assert not [n for n in desktop.received() if "needs a look" in n["summary"]]
    assert config_file.read_text() == GOOD + "catch_up: 45m\n"
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.yaml"]


@pytest.mark.parametrize("before", ["catch_up: 1h\n", None])
def test_closing_the_editor_without_a_change_changes_nothing(config_file, tmp_path, before):
    if before:
        config_file.write_text(before)
        was = os.stat(config_file)
    result = config_edit({"EDITOR": str(Editor(tmp_path / "bin", config_file).path)})
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "No change; your config is as it was.\n",
        "",
    )
    if before:
        now = os.stat(config_file)
        assert (now.st_ino, now.st_mtime_ns, config_file.read_text()) == (was.st_ino, was.st_mtime_ns, before)
    assert sorted(p.name for p in config_file.parent.iterdir()) == (["config.yaml"] if before else [])


def test_an_edit_given_up_is_kept_until_a_later_one_succeeds(config_file, tmp_path):
    config_file.write_text("catch_up: 1h\n")
    rejected = config_file.with_name("config.yaml.rejected")
    given_up = config_edit(
        {"EDITOR": str(Editor(tmp_path / "a", config_file, "catch_up: [\n").path)}, stdin="n\n"
    )
    assert given_up.returncode == 2
    assert given_up.stdout.endswith("Fix it now? [Y/n] ")
    (line,) = given_up.stderr.splitlines()  # the one line a script or a log keeps
    assert line.startswith(f"kindnudge: {rejected}:2:1: not valid YAML")  # where the mistake now is
    assert line.endswith(f"; your config is as it was; your edit is kept in {rejected}")
    assert (config_file.read_text(), rejected.read_text()) == ("catch_up: 1h\n", "catch_up: [\n")
    saved = config_edit({"EDITOR": str(Editor(tmp_path / "b", config_file, "catch_up: 2h\n").path)})
    assert (saved.returncode, saved.stdout) == (
        0,
        f"Saved {config_file}. A running `kindnudge run` picks it up by itself.\n",
    )
    assert config_file.read_text() == "catch_up: 2h\n"
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.yaml"]


OPENING = "Opening it in {name} ({keys}); to use another editor, set EDITOR, e.g. EDITOR=gedit {rest}"
REST = "kindnudge config edit.\n"
KEYS = {"nano": "save: Ctrl+O, Enter; close: Ctrl+X", "vi": "save and close: Esc, then :wq and Enter"}


@pytest.mark.parametrize(("installed", "opens"), [(["vi", "nano"], "nano"), (["vi"], "vi")])
def test_with_no_editor_set_it_says_once_which_it_opens(config_file, tmp_path, monkeypatch, installed, opens):
    for variable in ("VISUAL", "EDITOR"):
        monkeypatch.delenv(variable, raising=False)
    editors = {
        name: Editor(tmp_path / "bin", config_file, "catch_up: soon\n", "catch_up: 45m\n", name=name)
        for name in installed
    }
    result = config_edit({"PATH": str(tmp_path / "bin")}, stdin="y\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(OPENING.format(name=opens, keys=KEYS[opens], rest=REST) + "kindnudge: ")
    assert result.stdout.count("Opening it in") == 1
    assert len(editors[opens].opened()) == 2
    assert config_file.read_text() == "catch_up: 45m\n"


def test_the_copy_is_checked_where_the_config_is_even_through_a_link(config_file, tmp_path):
    """Packs are found beside the config as named (a dotfiles link), and the link stays a link."""
    real = tmp_path / "dotfiles" / "kindnudge.yaml"
    real.parent.mkdir()
    real.write_text("catch_up: 1h\n")
    config_file.symlink_to(real)
    config_file.with_name("mine.yaml").write_text(
        "messages:\n  - {id: mine-1, kind: reframe, text: You are doing fine.}\n"
    )
    edit = "catch_up: 1h\ncontent:\n  packs: [mine.yaml]\n"
    result = config_edit({"EDITOR": str(Editor(tmp_path / "bin", config_file, edit).path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert config_file.is_symlink() and real.read_text() == edit


def test_an_edit_cut_short_is_reopened_next_time(config_file, tmp_path):
    config_file.write_text("catch_up: 1h\n")
    copy = config_file.with_name(".config.editing.yaml")
    copy.write_text("catch_up: 3h\n")  # the computer went off while editing
    editor = Editor(tmp_path / "bin", config_file)
    result = config_edit({"EDITOR": str(editor.path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"Reopening the edit you had not finished ({copy}); config.yaml has not changed.\nSaved "
    )
    assert editor.opened()[0]["text"] == "catch_up: 3h\n"
    assert config_file.read_text() == "catch_up: 3h\n" and not copy.exists()


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGHUP])
def test_ending_the_session_by_signal_keeps_the_config_and_the_edit(tmp_path, ending):
    """As when the terminal is closed; here with a config named by --config, capitals and all."""
    config = tmp_path / "My Dotfiles" / "Kindnudge.yaml"
    config.parent.mkdir()
    config.write_text("catch_up: 1h\n")
    editor = Editor(
        tmp_path / "bin",
        config,
        "catch_up: 5m\n",
        then="print('editing', flush=True); __import__('sys').stdin.read()",
    )
    session = subprocess.Popen(
        [KINDNUDGE, "--config", str(config), "config", "edit"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "EDITOR": str(editor.path)},
    )  # fmt: skip
    assert session.stdout.readline() == "editing\n"
    session.send_signal(ending)
    _out, err = session.communicate(timeout=10)
    rejected = config.with_name("Kindnudge.yaml.rejected")
    assert (session.returncode, err) == (
        128 + ending,
        f"kindnudge: stopped by {ending.name}; your config is as it was; your edit is kept in {rejected}\n",
    )
    assert (config.read_text(), rejected.read_text()) == ("catch_up: 1h\n", "catch_up: 5m\n")
    assert editor.opened()[0]["name"] == ".Kindnudge.editing.yaml"
    assert sorted(p.name for p in config.parent.iterdir()) == ["Kindnudge.yaml", "Kindnudge.yaml.rejected"]


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [("EDITOR", 'vi "', "no closing quotation"), ("VISUAL", "nano \\", "no escaped character")],
)
def test_an_editor_setting_that_is_no_command_is_one_line_and_changes_nothing(
    config_file, monkeypatch, variable, value, why
):
    monkeypatch.delenv("VISUAL", raising=False)
    config_file.write_text(GOOD)
    result = config_edit({variable: value})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"kindnudge: {variable}={value} is not a command ({why});"
        f" set it again, e.g. {variable}=nano kindnudge config edit\n"
    )
    assert config_file.read_text() == GOOD
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["config.yaml"]


def test_an_editor_setting_of_only_spaces_counts_as_unset(config_file, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    editor = Editor(tmp_path / "bin", config_file, "catch_up: 45m\n", name="nano")
    result = config_edit({"EDITOR": "   ", "PATH": str(tmp_path / "bin")})
    assert result.returncode == 0, result.stderr
    assert len(editor.opened()) == 1 and config_file.read_text() == "catch_up: 45m\n"
