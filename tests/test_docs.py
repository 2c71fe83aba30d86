"""Guards: the README documents every setting, and the code stays ruff-clean."""

from __future__ import annotations

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


def commands() -> dict:
    parser = build_parser()
    (group,) = [a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices]
    return group.choices


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_is_in_the_readme_and_has_help(command):
    assert f"`kindnudge {command}" in README
    assert commands()[command].description


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci/run").read_text()
    command = next(line.strip() for line in README.splitlines() if "-m pytest" in line)
    assert command in ci


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
