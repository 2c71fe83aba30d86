"""Every file location kindnudge uses, in one place.

The XDG folders (XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME) on Linux and
the BSDs, platformdirs' native folders on macOS and Windows; tests point these
at temporary folders through the same variables a user would set.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from kindnudge.errors import ConfigError, Location
from kindnudge.xdg import APP, xdg_base

CONFIG_ENV = "KINDNUDGE_CONFIG"


def _user_dir(xdg: str, fallback: str, kind: str) -> Path:
    """Our folder of one kind. On Linux and the BSDs, the XDG rule (an absolute
    $XDG_..._HOME, else the folder under your home) written out, because
    importing platformdirs for it cost 4 ms of every command; platformdirs for
    anything else, and for a home that isn't an absolute path."""
    base = xdg_base(xdg, fallback)
    if base:
        return Path(base) / APP
    import platformdirs

    return getattr(platformdirs, f"user_{kind}_path")(APP, appauthor=False)


def default_config_file() -> Path:
    return _user_dir("XDG_CONFIG_HOME", "~/.config", "config") / "config.yaml"


def config_file(explicit: str | None = None) -> tuple[Path, bool]:
    """The config to read, and whether the user named it (then it must exist)."""
    if explicit:
        return expand_home(explicit), True
    if os.environ.get(CONFIG_ENV):
        return expand_home(os.environ[CONFIG_ENV]), True
    return default_config_file(), False


def expand_home(path: str, where: Location | None = None) -> Path:
    """`path` with a leading `~` or `~user` written out; one that names nobody
    is the user's mistake to fix (pathlib says only RuntimeError)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        name = path.split("/")[0].split(os.sep)[0]
        problem = (
            f"there is no user called '{name[1:]}' here, so {name} is no folder"
            if len(name) > 1
            else "~ means your home folder, and this machine cannot tell where it is (HOME is not set)"
        )
        raise ConfigError(f"{problem}; write the folder out in full", where or Location(path)) from None


def state_dir() -> Path:
    return _user_dir("XDG_STATE_HOME", "~/.local/state", "state")


def cache_dir() -> Path:
    """Checked packs and config, kept as JSON so start-up needn't parse YAML; safe to delete."""
    return _user_dir("XDG_CACHE_HOME", "~/.cache", "cache")


def state_db() -> Path:
    return state_dir() / "state.sqlite3"


def builtin_packs_dir() -> Path:
    """Packs ship inside the wheel; a source checkout keeps them at the top."""
    packaged = Path(__file__).with_name("affirmations")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "affirmations"


def ensure_private_dir(path: Path) -> Path:
    """State is personal: our folder must be a real folder of the user's own,
    readable by them alone, even if something else created it first.

    Raises OSError naming `path`: a symlink there (ELOOP) is refused, never
    followed or chmod-ed; so is a file (ENOTDIR) or someone else's folder (EPERM).
    """
    with contextlib.suppress(FileExistsError):  # not a folder: lstat below says what it is
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise _refused(errno.ELOOP, path)
    if not stat.S_ISDIR(info.st_mode):
        raise _refused(errno.ENOTDIR, path)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise _refused(errno.EPERM, path)  # another user's
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)  # lstat showed a real folder, not a link to one
    return path


def open_private(path: Path, flags: int) -> int:
    """Open one of our files, creating it readable by the user alone, without
    following a symlink: a planted `daemon.lock -> ~/thesis.odt` is refused
    (ELOOP), never truncated. Returns the descriptor; raises OSError."""
    ensure_private_dir(path.parent)
    check_regular(path)  # says what is there, before a FIFO or device could answer the open
    fd = os.open(path, flags | _OPEN, 0o600)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refused(errno.EINVAL, path, "this is not a regular file; move it away")
        if info.st_mode & 0o077 and hasattr(os, "fchmod"):
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o700)
    except BaseException:
        os.close(fd)
        raise
    return fd


def ensure_private_file(path: Path) -> Path:
    """Create `path` (if new) readable and writable by the user alone; see open_private."""
    os.close(open_private(path, os.O_RDONLY))
    return path


def real_file(path: Path) -> Path:
    """The file to rewrite for a user's `path`: where their symlink points, so it stays
    a link (replacing `path` itself would put a plain file in the link's place)."""
    return path.resolve() if path.is_symlink() and path.exists() else path


def check_regular(path: Path) -> None:
    """OSError if `path` exists as anything but a regular file (a symlink above
    all): for the files SQLite opens itself, and would follow."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise _refused(errno.ELOOP, path)
    if not stat.S_ISREG(info.st_mode):
        raise _refused(errno.EINVAL, path, "this is not a regular file; move it away")


# Create if new, never through a symlink, never wait on a FIFO; not inherited by children.
_OPEN = os.O_CREAT | sum(getattr(os, flag, 0) for flag in ("O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC"))


def _refused(code: int, path: Path, text: str | None = None) -> OSError:
    """An OSError as the kernel would raise it; `text` when errors.machine_error has no advice for `code`."""
    return OSError(code, text or os.strerror(code), str(path))


def replace_atomically(path: Path, content: str | bytes) -> None:
    """Write beside `path`, then rename over it: a reader (or a crash) sees the
    old file or the new one, never half of one. A file that was there keeps
    its permissions."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def icon_file() -> Path:
    return Path(__file__).with_name("icons") / "kindnudge.png"
