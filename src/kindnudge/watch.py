"""OS events that must wake the daemon: the wall clock moving, and config edits.

On Linux one thread blocks in select() on two kernel handles and wakes only
when something happens (no polling):

- a timerfd on CLOCK_REALTIME armed with TFD_TIMER_CANCEL_ON_SET, which the
  kernel cancels whenever the clock is set and on resume from suspend;
- an inotify watch on the config file's folder (editors replace files).

Elsewhere, or when KINDNUDGE_HEARTBEAT=SECONDS is set, a heartbeat compares
wall-clock and monotonic progress instead, and checks the config's mtime.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import select
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("kindnudge")

HEARTBEAT_S = 60.0  # fallback only: at most 60 wake-ups an hour
DRIFT_S = 2.0  # a wall/monotonic disagreement larger than this is a jump

_CLOCK_REALTIME = 0
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1
_TFD_TIMER_CANCEL_ON_SET = 2
_IN_CLOEXEC = 0o2000000
_IN_EVENTS = 0x8 | 0x80 | 0x100 | 0x200  # close-write, moved-to, create, delete


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class Watcher:
    """Calls `on_clock_jump()` and `on_config_change()` from its own thread."""

    def __init__(
        self,
        config_file: Path | None,
        on_clock_jump: Callable[[], None],
        on_config_change: Callable[[], None],
    ) -> None:
        self.config_file = config_file
        self.on_clock_jump = on_clock_jump
        self.on_config_change = on_config_change
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="kindnudge-watch", daemon=True)
        self._libc: ctypes.CDLL | None = None
        self.mode = "heartbeat"

    def start(self) -> None:
        heartbeat = os.environ.get("KINDNUDGE_HEARTBEAT")
        if sys.platform.startswith("linux") and not heartbeat:
            try:
                self._libc = ctypes.CDLL(None, use_errno=True)
                self._timer = self._arm(self._new_timer())
                self._inotify = self._watch_config()
                self.mode = "timerfd"
            except (OSError, AttributeError) as exc:
                log.warning("clock-change events unavailable (%s); using a %gs heartbeat", exc, HEARTBEAT_S)
        self._interval = float(heartbeat) if heartbeat else HEARTBEAT_S
        self._thread.start()

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(2)

    # -- Linux: kernel events -------------------------------------------------

    def _new_timer(self) -> int:
        fd = self._libc.timerfd_create(_CLOCK_REALTIME, _TFD_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        return fd

    def _arm(self, fd: int) -> int:
        """Expire in ten years: it never fires; it exists to be cancelled."""
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(int(time.time()) + 10 * 365 * 86400, 0))
        flags = _TFD_TIMER_ABSTIME | _TFD_TIMER_CANCEL_ON_SET
        if self._libc.timerfd_settime(fd, flags, ctypes.byref(spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")
        return fd

    def _watch_config(self) -> int | None:
        if not self.config_file or not self.config_file.parent.is_dir():
            return None
        fd = self._libc.inotify_init1(_IN_CLOEXEC)
        if fd < 0 or self._libc.inotify_add_watch(fd, bytes(self.config_file.parent), _IN_EVENTS) < 0:
            raise OSError(ctypes.get_errno(), "inotify failed")
        return fd

    def _config_touched(self, fd: int) -> bool:
        data, touched = os.read(fd, 65536), False
        while data:
            _wd, _mask, _cookie, size = struct.unpack_from("iIII", data)
            name = data[16 : 16 + size].rstrip(b"\0").decode(errors="replace")
            touched |= name == self.config_file.name
            data = data[16 + size :]
        return touched

    def _run(self) -> None:
        if self.mode == "timerfd":
            try:
                self._run_events()
                return
            except Exception:  # this thread must not die quietly: fall back, and say so
                log.exception("clock and config events failed; using a %gs heartbeat", self._interval)
                self.mode = "heartbeat"
        self._run_heartbeat()

    def _run_events(self) -> None:
        handles = [self._stop_r, self._timer] + ([self._inotify] if self._inotify is not None else [])
        while True:
            ready, _, _ = select.select(handles, [], [])
            if self._stop_r in ready:
                return
            if self._timer in ready:
                try:
                    os.read(self._timer, 8)
                except OSError as exc:
                    if exc.errno != errno.ECANCELED:
                        raise
                self._arm(self._timer)
                self._safely(self.on_clock_jump)
            if self._inotify in ready and self._config_touched(self._inotify):
                self._safely(self.on_config_change)

    # -- Fallback: heartbeat --------------------------------------------------

    def _run_heartbeat(self) -> None:
        offset = time.time() - time.monotonic()
        mtime = self._mtime()
        while not select.select([self._stop_r], [], [], self._interval)[0]:
            now_offset = time.time() - time.monotonic()
            if abs(now_offset - offset) > DRIFT_S:
                offset = now_offset
                self._safely(self.on_clock_jump)
            if self._mtime() != mtime:
                mtime = self._mtime()
                self._safely(self.on_config_change)

    def _mtime(self) -> float | None:
        try:
            return self.config_file.stat().st_mtime if self.config_file else None
        except OSError:
            return None

    @staticmethod
    def _safely(callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            log.exception("while handling an OS event")
