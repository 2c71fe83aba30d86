"""Guards: the README documents every setting, its test command is what CI runs
and works as it says, and the code stays ruff-clean."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kindnudge.commands import build_parser
from kindnudge.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_setting_is_in_the_config_reference(setting):
    assert f"`{setting.key}`" in README


def test_the_history_row_names_every_state_a_nudge_can_end_in():
    """`sending` passes (or becomes `interrupted`); `erased` is forget's own line;
    `kept` and `hidden` are what a button on a nudge did; `held` waits out a bad moment."""
    from kindnudge.state import _HISTORY

    states = set(re.findall(r"'(\w+)'", _HISTORY)) - {"sending", "erased"}
    (row,) = [line for line in README.splitlines() if line.startswith("| `kindnudge history")]
    assert states == {"delivered", "failed", "skipped", "interrupted", "kept", "hidden", "held"}
    assert all(state in row for state in states)
    assert "it may have appeared" in row


def commands() -> dict:
    parser = build_parser()
    (group,) = [a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices]
    return group.choices


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_is_in_the_readme_and_has_help(command):
    assert f"`kindnudge {command}" in README
    assert commands()[command].description


def first_block_after(heading: str) -> list[str]:
    """The lines of the first code block after `heading` in the README."""
    text = README[README.index(heading) :]
    start = text.index("```sh\n") + len("```sh\n")
    return text[start : text.index("```", start)].splitlines()


def test_ci_runs_exactly_the_readme_test_command():
    (command,) = first_block_after("## Development")
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == command == "tests/run.sh"
    assert all(line.startswith(("set ", "cd ")) for line in ci[:-1])
    assert os.access(ROOT / command, os.X_OK) and os.access(ROOT / ".ci/run", os.X_OK)


def test_every_pytest_example_in_the_readme_goes_through_the_script():
    assert "-m pytest" not in README
    assert 'tests/run.sh -m "not reliability"' in README


STUBS = {  # stand-ins that record what the script asks of the system, and stop it early
    "dpkg-query": '[ "${KN_INSTALLED#*" $3 "}" != "$KN_INSTALLED" ] && printf "ii " || exit 1',
    "apt-get": 'echo "apt-get $*" >>"$KN_LOG"; [ "$1" != install ] || exit 42',
    "sudo": 'echo sudo >>"$KN_LOG"; exec "$@"',
    "python": 'case "$*" in *version_info*) echo "python stops here" >>"$KN_LOG"; exit 1;; esac',
}


def run_script(tmp_path, installed: list[str]) -> tuple[subprocess.CompletedProcess, list[str]]:
    for name, body in STUBS.items():
        (tmp_path / name).write_text(f"#!/bin/sh\n{body}\n")
        (tmp_path / name).chmod(0o755)
    log = tmp_path / "log"
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "PYTHON": str(tmp_path / "python"),
        "KN_INSTALLED": f" {' '.join(installed)} ",
        "KN_LOG": str(log),
    }
    result = subprocess.run([ROOT / "tests/run.sh"], env=env, capture_output=True, text=True, timeout=60)
    return result, log.read_text().splitlines() if log.exists() else []


def script_packages() -> list[str]:
    text = (ROOT / "tests/run.sh").read_text()
    start = text.index("PACKAGES=(") + len("PACKAGES=(")
    return text[start : text.index(")", start)].split()


def test_the_test_script_installs_what_every_skip_asks_for():
    asked = {
        package
        for path in ROOT.glob("tests/*.py")
        for package in re.findall(r"\(apt-get install ([a-z0-9.+-]+)\)", path.read_text())
    }
    assert asked >= {"faketime", "systemd"}  # the pattern still finds them
    assert asked <= set(script_packages())


def test_the_test_script_installs_only_what_is_missing(tmp_path):
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    installed = [p for p in script_packages() if p not in ("dunst", "faketime")]
    result, log = run_script(tmp_path, installed)
    assert result.returncode == 42, result.stderr
    install = "apt-get install -y -qq --no-install-recommends dunst faketime"
    assert log == [*sudo, "apt-get update -qq", *sudo, install]
    assert "tests/run.sh: installing dunst faketime\n" in result.stderr


def test_the_test_script_installs_nothing_when_all_is_there(tmp_path):
    result, log = run_script(tmp_path, script_packages())
    assert log == ["python stops here"]  # went on to make the venv
    assert "Python 3.10 or newer" in result.stderr


def test_the_test_script_refuses_dbus_x11(tmp_path):
    result, log = run_script(tmp_path, [*script_packages(), "dbus-x11"])
    assert result.returncode == 1
    assert log == []
    assert "dbus-x11 is installed" in result.stderr


@pytest.mark.no_mutmut
def test_code_is_ruff_clean():
    pytest.importorskip("ruff", reason="ruff comes with the [test] extra")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            *(d for d in ("src", "tests", "bench", "docs") if (ROOT / d).is_dir()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
