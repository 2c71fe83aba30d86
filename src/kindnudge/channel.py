"""The local channel between `kindnudge now` and the running daemon.

A notification's buttons reach only the process that sent it, and only while
it runs; so `now` asks the daemon to show the nudge. The channel is a unix
socket, 0600 in a 0700 folder of ours in $XDG_RUNTIME_DIR (else beside the
state file), spoken in JSON lines:

    -> {"kindnudge": 1, "ask": "now", "kind": null, "dry_run": false, "config": "/abs/config.yaml"}
    <- {"kindnudge": 1, "taken": true}            at once: the daemon is alive and on it
    <- {"kindnudge": 1, "shown": true, "title": ..., "text": ..., "id": ...,
        "notes": [...], "after": [...], "warning": ...}
     | {"kindnudge": 1, "shown": false, "error": "...", "exit": 1}
     | {"kindnudge": 1, "declined": "..."}         nothing done: the asker may show it itself

A request is at most MAX_LINE bytes; anything else gets an error reply, and
nothing a client sends can stop the daemon. A client that has left before its
request is taken (it timed out) gets nothing shown. The client half imports
neither pathlib nor the config, so handing `now` over costs little more than
starting Python; the daemon's half (Listener) is at the end.
"""

from __future__ import annotations

import _socket  # socket's own module, without the Python layer (enum, selectors): 2.5 ms of `now`
import json
import os
import stat
import sys
import time

from kindnudge import knobs
from kindnudge.xdg import APP

TYPE_CHECKING = False  # importing typing would cost `now` 2 ms
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any

    from kindnudge.errors import KindnudgeError

VERSION = 1
MAX_LINE = 64 * 1024  # a request is ~200 bytes; a reply at most a few KiB
KINDS = ("reframe", "self-care")
SOCKET_NAME = "daemon.sock"


# A live daemon says "taken" within milliseconds; its own delivery gives up within
# about 16 s (state 3 s, D-Bus 3 s, a server started on demand 10 s).
TAKEN_S = knobs.seconds("KINDNUDGE_NOW_TIMEOUT", 3.0, 0.05)  # tests: a hung daemon in 0.5 s
RESULT_S = 30.0


def socket_path() -> str:
    """$XDG_RUNTIME_DIR/kindnudge/daemon.sock; without a runtime folder (macOS,
    a login without one), beside the state file, in a folder just as private."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        return os.path.join(runtime, APP, SOCKET_NAME)
    from kindnudge import paths

    return str(paths.state_dir() / SOCKET_NAME)


def available() -> bool:
    return hasattr(_socket, "AF_UNIX") and hasattr(os, "getuid")


# -- the asking side (`kindnudge now`) ----------------------------------------


def ask_now(config: str, kind: str | None, dry_run: bool) -> dict[str, Any] | None:
    """Ask the running daemon to show (or, dry, to draw) a nudge for `config`.

    None when no daemon answers the connect: then, and only then, the caller
    may show it itself. Once the request is sent, a daemon that goes quiet is
    a MachineError: it may still show the nudge, so the caller must not.
    """
    if not available():
        return None
    request = {"kindnudge": VERSION, "ask": "now", "kind": kind, "dry_run": dry_run, "config": config}
    return ask(socket_path(), request)


def ask(path: str, request: dict[str, Any]) -> dict[str, Any] | None:
    try:
        _check_ours(path)
    except FileNotFoundError:
        return None  # no daemon has listened here
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(TAKEN_S)
        try:
            _connect(sock, path)
        except (FileNotFoundError, ConnectionRefusedError, TimeoutError):
            return None  # left by a daemon that has stopped, or one too stuck to take a call
        pid = _peer(sock, path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        lines = Lines(sock)
        reply = _reply(lines, pid, TAKEN_S, "did not answer")
        if reply.get("taken"):
            reply = _reply(lines, pid, RESULT_S, "took the request but did not say whether it showed it")
        return reply
    finally:
        sock.close()


def _check_ours(path: str) -> None:
    """Talk only through a socket nobody else can have put there: in a real
    folder of ours that only we may enter, itself ours and 0600. Raises
    FileNotFoundError when there is none; a MachineError for anything else."""
    for where, kind, what in (
        (os.path.dirname(path), stat.S_ISDIR, "folder"),
        (path, stat.S_ISSOCK, "socket"),
    ):
        info = os.lstat(where)
        if stat.S_ISLNK(info.st_mode):
            why = "it is a symbolic link"
        elif not kind(info.st_mode):
            why = f"it is not a {what}"
        elif info.st_uid != os.getuid():
            why = f"it belongs to another user (uid {info.st_uid})"
        elif info.st_mode & 0o077:
            why = f"others may use it (mode {stat.S_IMODE(info.st_mode):04o})"
        else:
            continue
        raise _error(
            f"{where}: not kindnudge's own {what}, so `now` will not talk to the daemon through it:"
            f" {why}; remove it, then restart `kindnudge run`",
            1,
        )


def _peer(sock: socket.socket, path: str) -> int | None:
    """The listening process's pid (Linux), after checking it runs as us."""
    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return None
    import struct

    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(_socket.SOL_SOCKET, option, struct.calcsize("3i")))
    if uid != os.getuid():
        raise _error(f"{path}: the process listening there (pid {pid}) runs as another user (uid {uid})", 1)
    return pid


def _reply(lines: Lines, pid: int | None, wait: float, silence: str) -> dict[str, Any]:
    who = f"the running kindnudge (pid {pid})" if pid else "the running kindnudge"
    try:
        reply = json.loads(lines.read(time.monotonic() + wait))
    except TimeoutError:
        advice = f"kill {pid}, then " if pid else ""
        raise _error(
            f"{who} {silence} within {wait:g} s, so this command showed nothing;"
            f" if it stays like this, restart it: {advice}kindnudge run",
            1,
        ) from None
    except (OSError, ValueError) as exc:  # a daemon that died mid-answer, or one we can't read
        raise _error(f"{who} gave no usable answer ({exc}); see `kindnudge history`", 1) from None
    if not isinstance(reply, dict) or reply.get("kindnudge") != VERSION:
        raise _error(f"{who} speaks another version of kindnudge; restart it: kindnudge run", 1)
    return reply


class Lines:
    """The lines coming in on a socket, each by a deadline (monotonic): the
    daemon's two answers may arrive in one piece."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = bytearray()

    def read(self, deadline: float) -> str:
        """One line; TimeoutError past `deadline`; ValueError past MAX_LINE or at EOF."""
        while b"\n" not in self.data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ValueError("the connection closed before a whole line")
            self.data += chunk
            if len(self.data) > MAX_LINE:
                raise ValueError(f"a line longer than {MAX_LINE} bytes")
        end = self.data.index(b"\n")
        line, self.data = self.data[:end], self.data[end + 1 :]
        return line.decode("utf-8")


def report(reply: dict[str, Any]) -> int:
    """Print the daemon's answer as `now` prints its own: the nudge, or one line why not."""
    if reply.get("shown"):
        for note in reply.get("notes") or []:
            print(note)
        print(f"{reply.get('title', '')}\n{reply.get('text', '')}")
        for line in reply.get("after") or []:
            print(line)
        if reply.get("warning"):
            print(f"kindnudge: {reply['warning']}", file=sys.stderr)
        return 0
    status = reply.get("exit")
    raise _error(
        str(reply.get("error") or "the running kindnudge did not show it"),
        status if status in (1, 2, 70) else 1,
    )


def _error(message: str, status: int) -> KindnudgeError:
    from kindnudge.errors import KindnudgeError

    error = KindnudgeError(message)
    error.exit_code = status
    return error


def quick_now(argv: list[str]) -> int | None:
    """`now` handed to the daemon before argparse, the config or any pack is
    loaded: only the plain forms (`[--config P] now [--kind K] [--dry-run]`).
    None for anything else, or when no daemon answers: the full command then runs."""
    config, kind, dry_run, words = None, None, False, iter(argv)
    seen_now = False
    for word in words:
        if word == "--config":
            config = next(words, None)
            if config is None:
                return None
        elif word == "now" and not seen_now:
            seen_now = True
        elif seen_now and word == "--kind":
            kind = next(words, None)
            if kind not in KINDS:
                return None
        elif seen_now and word == "--dry-run":
            dry_run = True
        else:
            return None
    path = _config_path(config)
    if not seen_now or path is None:
        return None
    reply = ask_now(path, kind, dry_run)
    if reply is None or "declined" in reply:
        return None
    return report(reply)


def _config_path(explicit: str | None) -> str | None:
    """paths.config_file, as an absolute string; None where only paths.py can tell."""
    from kindnudge.xdg import xdg_base

    given = explicit or os.environ.get("KINDNUDGE_CONFIG")
    if given:
        path = os.path.expanduser(given)
        return None if path.startswith("~") else os.path.abspath(path)
    base = xdg_base("XDG_CONFIG_HOME", "~/.config")
    return os.path.join(base, APP, "config.yaml") if base else None


# -- the daemon's side ----------------------------------------------------------


class BadRequest(ValueError):
    """A request the daemon can't act on: it says why, and goes on."""


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _connect(sock: _socket.socket, path: str) -> None:
    """Connect; while the daemon's queue of callers is full (EAGAIN: many `now`
    at once), wait for a place, as long as a daemon gets to take a call."""
    import time

    deadline = time.monotonic() + TAKEN_S
    while True:
        try:
            return sock.connect(path)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError from None
            time.sleep(0.02)


def parse_request(line: str) -> dict[str, Any]:
    """A request as sent by ask_now, checked field by field (it may come from anything)."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested past the interpreter's limit
        raise BadRequest("not a kindnudge request (expected one JSON object on one line)") from None
    if not isinstance(request, dict):
        raise BadRequest("not a kindnudge request (expected one JSON object on one line)")
    if request.get("kindnudge") != VERSION:
        raise BadRequest(
            f"this daemon speaks version {VERSION} of kindnudge's channel; restart it: kindnudge run"
        )
    if request.get("ask") != "now":
        raise BadRequest(f"unknown request {str(request.get('ask'))[:40]!r}; the daemon knows 'now'")
    if "kind" not in request or request["kind"] not in (None, *KINDS):
        raise BadRequest(f"kind must be null or one of {', '.join(KINDS)}")
    config = request.get("config")
    if not isinstance(request.get("dry_run"), bool) or not isinstance(config, str):
        raise BadRequest("a 'now' request needs dry_run (true or false) and config (a path)")
    if "\0" in config or not _encodable(config):
        raise BadRequest("config must be a path without NUL or lone surrogates")
    return request


class Listener:
    """The daemon's end: one thread blocked in accept(), so listening adds no
    wake-ups. Requests are served one at a time; `handle(request)` gives the
    final reply and must not raise (whatever it does raise is answered and logged)."""

    READ_S = 2.0  # a client gets this long to send its request

    def __init__(self, path: str, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.path = path
        self.handle = handle
        self.sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None

    def start(self) -> None:
        """Bind and listen; OSError (naming the path) if the socket can't be ours."""
        import socket
        import threading
        from pathlib import Path

        from kindnudge.paths import ensure_private_dir

        ensure_private_dir(Path(self.path).parent)
        self._clear_stale()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(self.path)
            os.chmod(self.path, 0o600)  # the folder is 0700 already: nobody could reach it meanwhile
            sock.listen(64)
        except BaseException:
            sock.close()
            raise
        info = os.lstat(self.path)
        self.sock, self._inode = sock, (info.st_dev, info.st_ino)
        threading.Thread(target=self._serve_forever, name="kindnudge-channel", daemon=True).start()

    def _clear_stale(self) -> None:
        """A socket left by a daemon that was killed is removed; a live one, or
        anything that is no socket of ours, is refused."""
        import errno
        import socket

        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
            code = errno.ELOOP if stat.S_ISLNK(info.st_mode) else errno.EEXIST
            raise OSError(code, "something else is in the way; remove it", self.path)
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except ConnectionRefusedError:
            os.unlink(self.path)
            return
        finally:
            probe.close()
        raise OSError(errno.EADDRINUSE, "another kindnudge daemon listens there", self.path)

    def stop(self) -> None:
        """Remove the socket (if it is still the one we made); the thread ends with the process."""
        if self.sock is None:
            return
        try:
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == self._inode:
                os.unlink(self.path)
        except OSError:
            pass
        self.sock.close()
        self.sock = None

    def _serve_forever(self) -> None:
        import logging

        log = logging.getLogger("kindnudge")
        while self.sock is not None:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                if self.sock is None:
                    return
                time.sleep(0.1)  # e.g. out of file descriptors: don't spin
                continue
            try:
                self._serve(conn, log)
            except Exception:  # nothing a client does may end the channel
                log.exception("a `kindnudge now` request failed")
            finally:
                conn.close()

    def _serve(self, conn: socket.socket, log: Any) -> None:
        option = getattr(_socket, "SO_PEERCRED", None)
        if option is not None:
            import struct

            _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(_socket.SOL_SOCKET, option, 12))
            if uid != os.getuid():
                return  # root may reach our folder; nobody else can
        try:
            request = parse_request(Lines(conn).read(time.monotonic() + self.READ_S))
        except (BadRequest, ValueError, UnicodeDecodeError) as exc:
            log.warning("refused a request on %s: %s", self.path, exc)
            _send(conn, {"kindnudge": VERSION, "shown": False, "error": str(exc), "exit": 2})
            return
        except OSError:  # TimeoutError included: it said nothing in time
            return
        try:
            _send(conn, {"kindnudge": VERSION, "taken": True})
        except OSError:
            log.warning("a `kindnudge now` gave up waiting before it was answered; nothing shown for it")
            return
        try:
            reply = self.handle(request)
        except Exception as exc:
            log.exception("a `kindnudge now` request failed")
            reply = {
                "shown": False,
                "error": f"internal error in the running kindnudge ({exc!r}); see its log",
                "exit": 70,
            }
        try:
            _send(conn, {"kindnudge": VERSION, **reply})
        except OSError:  # it gave up waiting: what was shown is in the history all the same
            log.warning(
                "a `kindnudge now` left before it heard the answer: %s", reply.get("error") or "shown"
            )


def _send(conn: socket.socket, reply: dict[str, Any]) -> None:
    conn.settimeout(Listener.READ_S)
    conn.sendall(json.dumps(reply).encode() + b"\n")  # ASCII: a lone surrogate can't break it
