"""The X server, through libX11 itself (ctypes): every X11 desktop has it, so
this adds no dependency. Unavailable without DISPLAY, inside a Wayland session
(XWayland sees only X windows and X input), or without the library.

Xlib's default error handler ends the process on an X error (a window closed
between two reads is enough), so a quiet one is installed before any call.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from kindnudge.desktop import Unavailable

_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


_SONAMES = {"X11": "libX11.so.6", "Xss": "libXss.so.1"}
_ONE_AT_A_TIME = threading.Lock()  # Xlib is not made thread-safe here (no XInitThreads)
ANSWER_S = 2.0  # as long as a D-Bus source is waited for
_stuck: list[threading.Thread] = []  # a question the X server never answered
_T = TypeVar("_T")


@cache
def library(name: str) -> Any:
    """A C library by its short name (X11, Xss), or Unavailable. Loaded by its
    soname: ctypes.util.find_library would run ldconfig each time."""
    try:
        return ctypes.CDLL(_SONAMES[name])
    except OSError:
        raise Unavailable(f"lib{name} is not installed") from None


@cache
def xlib() -> Any:
    """libX11, its functions typed, with X errors made harmless."""
    x = library("X11")
    x.XOpenDisplay.argtypes, x.XOpenDisplay.restype = [ctypes.c_char_p], ctypes.c_void_p
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x.XDefaultRootWindow.argtypes, x.XDefaultRootWindow.restype = [ctypes.c_void_p], ctypes.c_ulong
    x.XInternAtom.argtypes, x.XInternAtom.restype = (
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int],
        ctypes.c_ulong,
    )
    x.XFree.argtypes = [ctypes.c_void_p]
    x.XGetWindowProperty.argtypes = [
        ctypes.c_void_p,  # display
        ctypes.c_ulong,  # window
        ctypes.c_ulong,  # property
        ctypes.c_long,  # offset
        ctypes.c_long,  # length, in 32-bit units
        ctypes.c_int,  # delete
        ctypes.c_ulong,  # type wanted (0: any)
        ctypes.POINTER(ctypes.c_ulong),  # type got
        ctypes.POINTER(ctypes.c_int),  # format got
        ctypes.POINTER(ctypes.c_ulong),  # items
        ctypes.POINTER(ctypes.c_ulong),  # bytes left
        ctypes.POINTER(ctypes.c_void_p),  # the data
    ]
    x.XSetErrorHandler.argtypes = [_ERROR_HANDLER]
    x.XSetErrorHandler.restype = ctypes.c_void_p
    x.XSetErrorHandler(_ignore)
    return x


@_ERROR_HANDLER
def _ignore(display: Any, event: Any) -> int:
    return 0  # the call that failed returns its failure; nothing more to do


def ask(question: Callable[[Any], _T]) -> _T:
    """`question(display)`, given up after ANSWER_S. Xlib has no timeout: an X
    server that is stopped or a socket that never answers would hang the
    daemon (and `check`, `now`) for good. A question that hangs keeps its
    thread and the display lock, so later ones give up at once."""
    if any(t.is_alive() for t in _stuck) or not _ONE_AT_A_TIME.acquire(timeout=ANSWER_S):
        raise Unavailable("the X server has not answered an earlier question")
    answer: list[Any] = []

    def asking() -> None:
        try:
            with display() as handle:
                answer.append(question(handle))
        except BaseException as exc:  # handed to the caller
            answer.append(exc)
        finally:
            _ONE_AT_A_TIME.release()

    thread = threading.Thread(target=asking, name="kindnudge-x11", daemon=True)
    thread.start()
    thread.join(ANSWER_S)
    if not answer:
        _stuck[:] = [thread]
        raise Unavailable(f"the X server did not answer within {ANSWER_S:g} s")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return answer[0]


@contextmanager
def display() -> Iterator[Any]:
    """An open connection to the X server, closed afterwards. Ask through
    `ask`, which holds the display lock and bounds the wait."""
    if not os.environ.get("DISPLAY"):
        raise Unavailable("no X display")
    if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
        raise Unavailable("a Wayland session: X shows only part of it")
    x = xlib()
    handle = x.XOpenDisplay(None)
    if not handle:
        raise Unavailable("the X display could not be opened")
    try:
        yield handle
    finally:
        x.XCloseDisplay(handle)


def atom(handle: Any, name: str) -> int:
    """An existing atom's number, or 0 when no client has ever named it."""
    return xlib().XInternAtom(handle, name.encode(), True)


def longs(handle: Any, window: int, name: str) -> list[int] | None:
    """A 32-bit-format property's values (windows, atoms), or None when unset."""
    x, prop = xlib(), atom(handle, name)
    if not prop:
        return None
    kind, fmt, count, left = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong()
    data = ctypes.c_void_p()
    status = x.XGetWindowProperty(
        handle, window, prop, 0, 1024, 0, 0,
        ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(count), ctypes.byref(left), ctypes.byref(data),
    )  # fmt: skip
    if status != 0 or not data.value:
        return None
    try:
        if fmt.value != 32:
            return None
        return list(
            ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))[: count.value]
        )  # Xlib hands 32-bit items as longs
    finally:
        x.XFree(data)


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),  # milliseconds since the last input
        ("event_mask", ctypes.c_ulong),
    ]


def idle_ms() -> int:
    """Milliseconds since the last input, by the X server's own count (the
    MIT-SCREEN-SAVER extension, libXss)."""
    xss = library("Xss")
    xss.XScreenSaverQueryInfo.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XScreenSaverInfo)]

    def idle(handle: Any) -> int:
        info = _XScreenSaverInfo()
        if not xss.XScreenSaverQueryInfo(handle, xlib().XDefaultRootWindow(handle), ctypes.byref(info)):
            raise Unavailable("the X server has no MIT-SCREEN-SAVER extension")
        return info.idle

    return ask(idle)
