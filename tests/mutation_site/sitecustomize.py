"""Loaded by every `kindnudge` subprocess while mutmut maps functions to tests
(see tests/mutation_plugin.py): each function a subprocess runs is written
to the file the test process reads."""

import os

_hits = os.environ.get("KINDNUDGE_MUTMUT_HITS")
if _hits and os.environ.get("MUTANT_UNDER_TEST") == "stats":
    import mutmut.mutation.trampoline as _trampoline

    _seen: set[str] = set()

    def _record(name: str, caller: str | None = None) -> None:
        if name not in _seen:
            _seen.add(name)
            with open(_hits, "a") as out:
                out.write(name + "\n")

    _trampoline.record_trampoline_hit = _record
