"""OS events that must wake the daemon: the wall clock moving, and edits to
the files it reads (config, packs, your own messages).

On Linux one thread blocks in select() on kernel handles and wakes only when
something happens (no polling):

- a timerfd on CLOCK_REALTIME armed with TFD_TIMER_CANCEL_ON_SET, which the
  kernel cancels whenever the clock is set and on resume from suspend;
- inotify watches on the folders of the watched files (editors replace files
  rather than write them). A folder that doesn't exist yet, as when
  kindnudge runs before `setup` wrote a config, is awaited from its nearest
  existing parent, and the watch moves down as the folders appear.

Elsewhere, or when KINDNUDGE_HEARTBEAT=SECONDS is set, a heartbeat compares
wall-clock and monotonic progress instead, and the watched files' stat.

Either way the same select() also waits on the daemon's session-bus socket
(`listen`), so hearing a button pressed costs no wake-up of its own.
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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from kindnudge import knobs

log = logging.getLogger("kindnudge")

HEARTBEAT_S = 60.0  # fallback only: at most 60 wake-ups an hour
DRIFT_S = 2.0  # a wall/monotonic disagreement larger than this is a jump

_CLOCK_REALTIME = 0
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1
_TFD_TIMER_CANCEL_ON_SET = 2
_IN_CLOEXEC = 0o2000000
_IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x8, 0x40, 0x80, 0x100, 0x200
_IN_EVENTS = _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE | 0x400 | 0x800
_IN_NAME_CHANGES = _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE
_IN_GONE = 0x400 | 0x800 | 0x8000  # delete-self, move-self, ignored: that watch is over
_IN_Q_OVERFLOW = 0x4000
_STOP, _REARM, _POKE = b"x", b"r", b"p"

# mtime and inode (a replaced file is a new one); None when missing. Not the size:
# a file rewritten in place is empty for a moment, and that is no change to report.
Signature = tuple[int, int, int | None, int | None] | None


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class Watched(NamedTuple):
    """One inotify watch: a folder, and the names in it that matter."""

    folder: Path
    names: dict[str, bool]  # name -> True for a folder on the way to a watched file


class Watcher:
    """Calls `on_clock_jump()` and `on_change()` (a watched file was written,
    replaced, created or deleted) from its own thread."""

    def __init__(
        self,
        files: Iterable[Path],
        on_clock_jump: Callable[[], None],
        on_change: Callable[[], None],
    ) -> None:
        self.files = tuple(files)
        self.on_clock_jump = on_clock_jump
        self.on_change = on_change
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="kindnudge-watch", daemon=True)
        self._libc: ctypes.CDLL | None = None
        self._folders: dict[int, Watched] = {}
        self._bus: Callable[[], int | None] = lambda: None
        self._on_bus: Callable[[], None] = lambda: None
        self._listened: int | None = None
        self.mode = "heartbeat"

    def start(self) -> None:
        self._interval = knobs.seconds("KINDNUDGE_HEARTBEAT", HEARTBEAT_S, 0.01)
        heartbeat = (
            self._interval < HEARTBEAT_S
        )  # a test's wait; one that can't be read leaves the kernel's events
        if sys.platform.startswith("linux") and not heartbeat:
            try:
                self._libc = ctypes.CDLL(None, use_errno=True)
                self._timer = self._arm(self._new_timer())
                self._inotify = self._new_inotify()
                self._watch_folders()
                self.mode = "timerfd"
            except (OSError, AttributeError) as exc:
                log.warning("clock-change events unavailable (%s); using a %gs heartbeat", exc, HEARTBEAT_S)
        self._thread.start()

    def watch(self, files: Iterable[Path]) -> None:
        """Watch these files from now on (a reload may name other packs)."""
        self.files = tuple(files)
        os.write(self._wake_w, _REARM)

    def listen(self, fileno: Callable[[], int | None], on_ready: Callable[[], None]) -> None:
        """Also wait on the socket `fileno()` names (None: none now), and call
        `on_ready()` from this thread when it is readable or on `poke()`."""
        self._bus, self._on_bus = fileno, on_ready
        self.poke()

    def poke(self) -> None:
        """Call `on_ready` soon, and look at `fileno()` again (it may be another socket)."""
        os.write(self._wake_w, _POKE)

    def stop(self) -> None:
        os.write(self._wake_w, _STOP)
        self._thread.join(2)

    def _woken(self) -> bytes:
        """Drain the wake-up pipe: what was asked for."""
        return os.read(self._wake_r, 4096)

    def _with_bus(self, handles: list[int]) -> list[int]:
        self._listened = fd = self._bus()
        return handles if fd is None else [*handles, fd]

    def _select(self, handles: list[int], timeout: float | None = None) -> list[int]:
        """select(); a bus socket closed meanwhile (it is dropped before it is
        closed) counts as nothing ready, and the next round asks for it again."""
        try:
            return select.select(handles, [], [], timeout)[0]
        except (OSError, ValueError):
            if self._listened is None or self._bus() == self._listened:
                raise
            return []

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

    def _new_inotify(self) -> int:
        fd = self._libc.inotify_init1(_IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify failed")
        return fd

    def _targets(self) -> set[Path]:
        """The watched files, and where their symbolic links point (a dotfiles
        repository): an edit there changes the file too."""
        targets = set(self.files)
        for path in self.files:
            if path.is_symlink():
                targets.add(Path(os.path.realpath(path)))
        return targets

    def _watch_folders(self) -> bool:
        """Watch each file's folder, or for a missing folder its nearest existing
        parent. True if a file is already there in a folder watched only now:
        it may have been written before its watch was in place (at worst, a
        newly named pack is read twice)."""
        for _attempt in range(5):  # a folder removed while we look: look again
            wanted: dict[Path, dict[str, bool]] = {}
            for path in self._targets():
                folder, name, on_the_way = path.parent, path.name, False
                while not folder.is_dir() and folder != folder.parent:
                    folder, name, on_the_way = folder.parent, folder.name, True
                names = wanted.setdefault(folder, {})
                names[name] = names.get(name, False) or on_the_way
            try:
                watches = self._add_watches(wanted)
                break
            except FileNotFoundError:
                continue
        else:
            raise OSError(errno.ENOENT, "the watched folders keep disappearing")
        appeared = any(
            not on_the_way and (folder / name).exists()
            for folder, names in wanted.items()
            if watches[folder] not in self._folders
            for name, on_the_way in names.items()
        )
        folders: dict[int, Watched] = {}
        for folder, wd in watches.items():  # two paths, one folder: one watch
            folders.setdefault(wd, Watched(folder, {})).names.update(wanted[folder])
        for stale in set(self._folders) - set(folders):
            self._libc.inotify_rm_watch(self._inotify, stale)  # fails harmlessly if already gone
        self._folders = folders
        return appeared

    def _add_watches(self, wanted: dict[Path, dict[str, bool]]) -> dict[Path, int]:
        watches: dict[Path, int] = {}
        for folder in wanted:
            wd = self._libc.inotify_add_watch(self._inotify, bytes(folder), _IN_EVENTS)
            if wd < 0:
                code = ctypes.get_errno()
                raise OSError(code, f"cannot watch {folder}: {os.strerror(code)}")
            watches[folder] = wd
        return watches

    def _read_events(self) -> tuple[bool, bool]:
        """(a watched file changed, the watches must move)."""
        data = os.read(self._inotify, 65536)
        changed = rearm = False
        while data:
            wd, mask, _cookie, size = struct.unpack_from("iIII", data)
            name = os.fsdecode(data[16 : 16 + size].rstrip(b"\0"))
            data = data[16 + size :]
            if mask & _IN_Q_OVERFLOW:  # events were lost: assume the worst
                changed = rearm = True
            elif wd in self._folders and mask & _IN_GONE:
                rearm = True
            elif wd in self._folders and name in self._folders[wd].names:
                folder, names = self._folders[wd]
                if names[name]:  # a folder on the way appeared or went
                    rearm = True
                    continue
                # A new regular file is reported once written and closed (now it may be
                # empty); a symbolic link gets no other event, and may point elsewhere.
                changed |= not mask & _IN_CREATE or os.path.islink(folder / name)
                rearm |= bool(mask & _IN_NAME_CHANGES)
        return changed, rearm

    def _run(self) -> None:
        if self.mode == "timerfd":
            try:
                self._run_events()
                return
            except Exception:  # this thread must not die quietly: fall back, and say so
                log.exception("clock and file events failed; using a %gs heartbeat", self._interval)
                self.mode = "heartbeat"
        self._run_heartbeat()

    def _run_events(self) -> None:
        handles = [self._wake_r, self._timer, self._inotify]
        while True:
            listening = self._with_bus(handles)
            ready = self._select(listening)
            changed = rearm = False
            if self._wake_r in ready:
                asked = self._woken()
                if _STOP in asked:
                    return
                rearm = _REARM in asked
                if _POKE in asked:
                    self._safely(self._on_bus)
            if len(listening) > len(handles) and listening[-1] in ready:
                self._safely(self._on_bus)
            if self._timer in ready:
                self._clock_moved()
            if self._inotify in ready:
                changed, moved = self._read_events()
                rearm |= moved
            if rearm:  # after a reload, or as folders come and go
                changed |= self._watch_folders()
            if changed:
                self._safely(self.on_change)

    def _clock_moved(self) -> None:
        """The timer woke select(): the kernel cancelled it (the read fails with
        ECANCELED) because the clock was set or the machine resumed, or it
        expired. Arm it again, or the next change would go unseen and select()
        would spin on a readable handle; then say the clock moved."""
        try:
            os.read(self._timer, 8)
        except OSError as exc:
            if exc.errno != errno.ECANCELED:
                raise
        self._arm(self._timer)
        self._safely(self.on_clock_jump)

    # -- Fallback: heartbeat --------------------------------------------------

    def _run_heartbeat(self) -> None:
        offset = time.time() - time.monotonic()
        seen = self._signatures()
        beat = time.monotonic() + self._interval
        while True:
            listening = self._with_bus([self._wake_r])
            ready = self._select(listening, max(beat - time.monotonic(), 0))
            if ready:
                asked = self._woken() if self._wake_r in ready else b""
                if _STOP in asked:
                    return
                if _POKE in asked or (len(listening) > 1 and listening[-1] in ready):
                    self._safely(self._on_bus)
                continue  # new files to watch: the next beat compares them
            beat = time.monotonic() + self._interval
            now_offset = time.time() - time.monotonic()
            if abs(now_offset - offset) > DRIFT_S:
                offset = now_offset
                self._safely(self.on_clock_jump)
            current = self._signatures()
            if any(seen.get(path) != signature for path, signature in current.items()):
                self._safely(self.on_change)  # a newly watched file that exists counts as new
            seen = current

    def _signatures(self) -> dict[Path, Signature]:
        return {path: _signature(path) for path in self.files}

    @staticmethod
    def _safely(callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            log.exception("while handling an OS event")


def _signature(path: Path) -> Signature:
    """What a save or a swap changes: the name's own inode and time (a symbolic
    link replaced by another, even a broken one) and those of what it leads to."""
    try:
        name = os.lstat(path)
    except OSError:
        return None
    try:
        target = os.stat(path)
    except OSError:
        return (name.st_ino, name.st_mtime_ns, None, None)
    return (name.st_ino, name.st_mtime_ns, target.st_ino, target.st_mtime_ns)
