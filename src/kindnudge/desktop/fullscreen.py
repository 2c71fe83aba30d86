"""A fullscreen window or a presentation: slides, a video call shared in
full, a game."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from kindnudge.desktop import Unavailable
from kindnudge.desktop.bus import Bus


class X11Fullscreen:
    """The active window's `_NET_WM_STATE_FULLSCREEN`, as an EWMH window manager
    sets it (`_NET_ACTIVE_WINDOW` on the root window, then `_NET_WM_STATE`).
    Without such a window manager there is no active window to ask about."""

    source = "fullscreen"
    how = "the active window's fullscreen state (X11)"
    signals = ()

    def read(self, bus: Bus) -> str | None:
        from kindnudge.desktop import x11

        return x11.ask(self._look)

    @staticmethod
    def _look(handle: Any) -> str | None:
        from kindnudge.desktop import x11

        root = x11.xlib().XDefaultRootWindow(handle)
        named = x11.atom(handle, "_NET_ACTIVE_WINDOW")
        if not named or named not in (x11.longs(handle, root, "_NET_SUPPORTED") or []):
            raise Unavailable("no window manager that names the active window")
        active = x11.longs(handle, root, "_NET_ACTIVE_WINDOW")
        if not active or not active[0]:
            return None  # no window has the focus yet
        fullscreen = x11.atom(handle, "_NET_WM_STATE_FULLSCREEN")
        state = x11.longs(handle, active[0], "_NET_WM_STATE") or []
        return "a window is fullscreen" if fullscreen and fullscreen in state else None


# SHQueryUserNotificationState's answers (shellapi.h) that mean "not now".
QUNS_NOT_PRESENT, QUNS_BUSY, QUNS_RUNNING_D3D_FULL_SCREEN, QUNS_PRESENTATION_MODE = 1, 2, 3, 4
_WINDOWS_BUSY = {
    QUNS_BUSY: "a window is fullscreen",
    QUNS_RUNNING_D3D_FULL_SCREEN: "a fullscreen game or video is running",
    QUNS_PRESENTATION_MODE: "Windows is in presentation mode",
}  # QUNS_QUIET_TIME (6) is the first hour after a first sign-in: no reason to wait


def _query_windows() -> int:
    """SHQueryUserNotificationState, or Unavailable off Windows."""
    if sys.platform != "win32":
        raise Unavailable("not Windows")
    import ctypes

    state = ctypes.c_int()
    result = ctypes.windll.shell32.SHQueryUserNotificationState(ctypes.byref(state))  # type: ignore[attr-defined]
    if result != 0:
        raise OSError(f"SHQueryUserNotificationState failed (HRESULT {result & 0xFFFFFFFF:#010x})")
    return state.value


class WindowsBusy:
    """What Windows itself says about showing a notification now."""

    source = "fullscreen"
    how = "Windows' notification state (fullscreen, presentation mode)"
    signals = ()

    def __init__(self, query: Callable[[], int] = _query_windows) -> None:
        self.query = query

    def read(self, bus: Bus) -> str | None:
        return _WINDOWS_BUSY.get(self.query())


class WindowsLocked(WindowsBusy):
    """The same answer, for a locked machine, its screensaver, or another user's
    session in front (QUNS_NOT_PRESENT)."""

    source = "locked"
    how = "Windows' notification state (locked)"

    def read(self, bus: Bus) -> str | None:
        return "the screen is locked" if self.query() == QUNS_NOT_PRESENT else None
