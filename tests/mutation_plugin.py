"""Glue for mutation testing with mutmut (see README, "Mutation testing").

mutmut swaps in each mutant inside the pytest process, but most tests run
the installed `kindnudge` in a subprocess, which would import the unmutated
source and report nothing. So, only while mutmut runs the suite:
- subprocesses import the mutated copy first (PYTHONPATH) and inherit
  MUTANT_UNDER_TEST, so the mutant is live in them too;
- while mutmut maps functions to tests, subprocesses write the functions
  they ran to a file that is folded into mutmut's map before each test ends.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SITE = Path(__file__).with_name("mutation_site")
HITS = "KINDNUDGE_MUTMUT_HITS"


def under_mutmut() -> bool:
    return "MUTANT_UNDER_TEST" in os.environ


def pytest_configure(config: pytest.Config) -> None:
    import kindnudge

    mutated_src = Path(kindnudge.__file__).resolve().parents[1]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SITE), str(mutated_src), os.environ.get("PYTHONPATH")) if p
    )
    os.environ[HITS] = str(Path.cwd() / f".subprocess-hits-{os.getpid()}")
    # The mutated modules are large (every mutant is compiled in): compiled once, not per process.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="measures the process, which mutmut's trampolines change")
    for item in items:
        if item.get_closest_marker("no_mutmut"):
            item.add_marker(skip)
    if os.environ["MUTANT_UNDER_TEST"] not in ("", "stats", "list_all_tests"):
        # A mutant runs until its first failing test (-x): the quick tests first
        # kill most mutants in seconds rather than after the slow end-to-end ones.
        durations = _durations()
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


def _durations() -> dict[str, float]:
    """How long each test took when mutmut mapped them (mutants/mutmut-stats.json)."""
    import json

    try:
        return json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}


@pytest.hookimpl(tryfirst=True)  # before mutmut's own teardown hook reads the hits
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    from mutmut.state import state

    path = Path(os.environ[HITS])
    try:
        names = path.read_text().split()
    except FileNotFoundError:
        return
    path.unlink()
    state()._stats.update(names)
