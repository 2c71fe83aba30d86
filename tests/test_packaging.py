"""A wheel in a fresh venv, as a user installs it, must carry its packs and commands."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
