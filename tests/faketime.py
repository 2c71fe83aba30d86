"""A wall clock we can move for one process tree, while monotonic time runs on.

libfaketime reads the offset from a control file on every call. The small
shim works around libfaketime 0.9.10 breaking Python's time.sleep()
(wolfcw/libfaketime#426): monotonic sleeps go straight to the kernel.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int clock_nanosleep(clockid_t id, int flags, const struct timespec *req, struct timespec *rem) {
    if (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW || id == CLOCK_BOOTTIME) {
        long r = syscall(SYS_clock_nanosleep, id, flags, req, rem);
        return r == 0 ? 0 : errno;
    }
    int (*next)(clockid_t, int, const struct timespec *, struct timespec *) =
        dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(id, flags, req, rem);
}
"""


def library() -> str | None:
    found = subprocess.run(["dpkg", "-L", "libfaketime"], capture_output=True, text=True).stdout.split()
    return next((p for p in found if p.endswith("libfaketimeMT.so.1")), None)


class FakeClock:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        source, shim = folder / "shim.c", folder / "shim.so"
        source.write_text(_SHIM)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", shim, source, "-ldl"], check=True)
        self.control = folder / "offset"
        self.set(0)
        self.env = {
            "LD_PRELOAD": f"{shim} {library()}",
            "FAKETIME_TIMESTAMP_FILE": str(self.control),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }

    def set(self, offset_s: float) -> None:
        """From now on the faked processes see real time + offset_s."""
        self.control.write_text(f"{offset_s:+.3f}s\n")
