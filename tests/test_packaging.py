"""A wheel in a fresh venv, as a user installs it, must carry its packs and commands;
and the README's install path works as written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kindnudge import __version__

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.reliability  # builds and installs a wheel: several seconds
def test_wheel_installs_and_finds_its_packs(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            tmp_path,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("kindnudge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "kindnudge/affirmations/reframes.yaml" in names
    assert "kindnudge/affirmations/self-care.yaml" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin/pip", "install", "-q", wheel], check=True, capture_output=True)
    for command in ([venv / "bin/kindnudge"], [venv / "bin/python", "-m", "kindnudge"]):
        result = subprocess.run(
            [*command, "list", "--json"], cwd=tmp_path, capture_output=True, text=True, check=True
        )
        listed = json.loads(result.stdout)
        assert {m["pack"] for m in listed} == {"reframes", "self-care"}
        assert len(listed) >= 35
    where = subprocess.run(
        [venv / "bin/python", "-c", "from kindnudge import paths; print(paths.builtin_packs_dir())"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(venv)) and where.endswith("kindnudge/affirmations")


def readme_blocks(section: str) -> list[list[str]]:
    """The shell blocks of one README section, as lines."""
    text = (ROOT / "README.md").read_text()
    text = text[text.index(section) :]
    text = text[: text.index("\n## ", 1)]
    return [block.split("```", 1)[0].strip().splitlines() for block in text.split("```sh\n")[1:]]


@pytest.mark.reliability  # a real `pip install .`, dependencies included: about a minute
def test_the_readme_install_path_works_as_written(tmp_path):
    """Fresh HOME, a copy of the folder, the README's commands in bash, in order.
    Only `kindnudge run` becomes `kindnudge --version`, so the command ends."""
    (get, apt), (install,), link = readme_blocks("## Install and start")[:3]
    assert get == "cd kindnudge" and apt.startswith("sudo apt install python3-venv")
    assert install.endswith("/bin/kindnudge run")
    home = tmp_path / "home"
    copy = home / "kindnudge"
    for name in ("src", "affirmations", "pyproject.toml", "README.md"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, copy / name)
    shutil.rmtree(copy / "src" / "kindnudge" / "__pycache__", ignore_errors=True)
    profile = Path("/etc/skel/.profile")
    if profile.exists():
        shutil.copy(profile, home / ".profile")
    env = {**os.environ, "HOME": str(home)}
    user_pip = Path.home() / ".config/pip/pip.conf"  # this machine's package index, as its user has it
    if user_pip.exists() and "PIP_CONFIG_FILE" not in env:
        env["PIP_CONFIG_FILE"] = str(user_pip)

    def bash(script: str, *options: str) -> str:
        result = subprocess.run(
            ["bash", *options, "-c", script], cwd=home, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first_terminal = f"set -e\n{get}\n{install.removesuffix(' run')} --version"
    assert bash(first_terminal).splitlines()[-1].startswith("kindnudge ")
    if not (profile.exists() and ".local/bin" in profile.read_text()):
        pytest.skip("the PATH step is written for Debian and Ubuntu, whose ~/.profile adds ~/.local/bin")
    second_terminal = bash("\n".join(["set -e", *link, "command -v kindnudge", "kindnudge --version"]))
    assert second_terminal.splitlines() == [str(home / ".local/bin/kindnudge"), "kindnudge " + __version__]
    next_login = bash("command -v kindnudge", "-l")
    assert next_login.strip() == str(home / ".local/bin/kindnudge")
