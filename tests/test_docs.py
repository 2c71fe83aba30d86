"""Guards: the README documents every setting, and the code stays ruff-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kindnudge.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_setting_is_in_the_config_reference(setting):
    assert f"`{setting.key}`" in README


@pytest.mark.parametrize("command", ["now", "list", "check"])
def test_every_command_is_in_the_readme(command):
    assert f"kindnudge {command}" in README


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
