"""The mutation score per module, from mutmut's last run (see README, "Mutation testing").

Run from the project root after `mutmut run`:
    .venv/bin/python bench/mutation_score.py
A mutant counts as caught when a test failed (killed) or it hung past its
time (timeout: a mutant that makes the program loop forever is caught too).
Survivors judged equivalent (listed with a reason in tests/mutation-survivors/<module>.md)
are counted apart, and the gate is the score over the rest.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src" / "kindnudge"
SURVIVORS = ROOT / "tests" / "mutation-survivors"  # one file per module: <module>.md
GATE = 0.90
STATUS = {1: "killed", 3: "killed", 0: "survived", 33: "no tests", 5: "no tests", 36: "timeout"}
STATUS |= {-24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def equivalent() -> set[str]:
    """Mutant names listed as equivalent: lines such as `- kindnudge.cron.x_parse__mutmut_12: why`."""
    found: set[str] = set()
    for listed in SURVIVORS.glob("*.md"):
        found |= set(re.findall(r"^- `?(kindnudge\.[\w.ǁ]+__mutmut_\d+)`?:", listed.read_text(), re.M))
    return found


def main() -> int:
    same = equivalent()
    rows, total = [], Counter()
    for meta in sorted(MUTANTS.glob("*.py.meta")):
        counts = Counter()
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status = "equivalent" if name in same else STATUS.get(code, "suspicious")
            counts[status] += 1
        total += counts
        rows.append((meta.name.removesuffix(".py.meta"), counts))
    rows.append(("all", total))
    heads = ("mutants", "caught", "survived", "no tests", "equiv.", "not run", "score")
    print(f"{'module':10} " + " ".join(f"{h:>8}" for h in heads))
    for name, c in rows:
        caught = c["killed"] + c["timeout"]
        judged = sum(c.values()) - c["equivalent"] - c["not checked"]
        score = caught / judged if judged else 1.0
        print(
            f"{name:10} {sum(c.values()):8} {caught:8} {c['survived']:8} {c['no tests']:8}"
            f" {c['equivalent']:8} {c['not checked']:8} {score:8.1%}"
        )
    caught = total["killed"] + total["timeout"]
    judged = sum(total.values()) - total["equivalent"] - total["not checked"]
    return 0 if judged and caught / judged >= GATE else 1


if __name__ == "__main__":
    sys.exit(main())
