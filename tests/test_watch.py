"""The Linux clock-change path of the watcher, without KINDNUDGE_HEARTBEAT and
without setting the system clock: the watcher is given a CLOCK_REALTIME
timerfd of the test's own, and the test makes it ready as the kernel does on a
resume or a clock change."""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import threading

import pytest

from kindnudge import watch
from kindnudge.watch import Watcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")

libc = ctypes.CDLL(None, use_errno=True)
TEN_YEARS_S = 10 * 365 * 86400


def remaining_s(fd: int) -> int:
    """Seconds until the timer expires; 0 when it is disarmed."""
    spec = watch._Itimerspec()
    assert libc.timerfd_gettime(fd, ctypes.byref(spec)) == 0, os.strerror(ctypes.get_errno())
    return spec.it_value.tv_sec


def fire_now(fd: int) -> None:
    """Make the timer ready at once, as a cancellation or an expiry would."""
    spec = watch._Itimerspec(watch._Timespec(0, 0), watch._Timespec(0, 1))  # relative: in 1 ns
    assert libc.timerfd_settime(fd, 0, ctypes.byref(spec), None) == 0, os.strerror(ctypes.get_errno())


@pytest.mark.parametrize("event", ["clock set (ECANCELED)", "expired"])
def test_a_clock_change_on_the_timerfd_is_reported_once_and_the_timer_rearmed(
    event, tmp_path, monkeypatch, caplog
):
    monkeypatch.delenv("KINDNUDGE_HEARTBEAT", raising=False)
    timer = libc.timerfd_create(watch._CLOCK_REALTIME, watch._TFD_CLOEXEC)
    assert timer >= 0
    monkeypatch.setattr(Watcher, "_new_timer", lambda self: timer)
    if event.startswith("clock set"):
        # What read(2) answers on a timer the kernel cancelled: only root may set the
        # clock, so the answer is given at the descriptor, for this one fd.
        real_read = os.read

        def read(fd: int, n: int) -> bytes:
            if fd == timer:
                real_read(fd, n)  # take the expiry that stood in for the event
                raise OSError(errno.ECANCELED, os.strerror(errno.ECANCELED))
            return real_read(fd, n)

        monkeypatch.setattr(watch.os, "read", read)
    config = tmp_path / "config.yaml"
    config.write_text("a")
    jumps: list[bool] = []
    jumped, changed = threading.Event(), threading.Event()
    watcher = Watcher([config], lambda: (jumps.append(True), jumped.set()), changed.set)
    watcher.start()
    try:
        assert watcher.mode == "timerfd"
        assert remaining_s(timer) > TEN_YEARS_S - 60  # armed by start()
        fire_now(timer)
        assert jumped.wait(5), "the clock change was never reported"
        # Armed again for the next one, ten years ahead (a timer left expired or
        # cancelled would go unseen, or keep select() spinning).
        assert remaining_s(timer) > TEN_YEARS_S - 60
        config.write_text("b")  # the loop goes round again: the timer is quiet now
        assert changed.wait(5)
        assert len(jumps) == 1
        assert watcher.mode == "timerfd" and "Traceback" not in caplog.text

        jumped.clear()
        fire_now(timer)  # and the next change is reported too
        assert jumped.wait(5)
        assert len(jumps) == 2
    finally:
        watcher.stop()
        os.close(timer)
