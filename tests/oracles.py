"""`systemd-analyze calendar`, an independent answer to "when is the next one?"."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone

import pytest

needs_systemd = pytest.mark.skipif(
    not shutil.which("systemd-analyze"),
    reason="systemd-analyze, the independent calendar oracle, is not installed (apt-get install systemd)",
)


def systemd_calendar(spec: str, base: datetime, count: int) -> list[datetime]:
    """The next `count` elapses of an OnCalendar `spec` strictly after `base`, in UTC."""
    out = subprocess.run(
        [
            "systemd-analyze",
            "calendar",
            f"--iterations={count}",
            f"--base-time=@{int(base.timestamp())}",
            spec,
        ],
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", out)
    return [datetime.fromisoformat(f).replace(tzinfo=timezone.utc) for f in found]
