"""Every file location kindnudge uses, in one place.

platformdirs follows XDG_CONFIG_HOME and XDG_STATE_HOME on Linux and the
native folders on macOS and Windows; tests point these at temporary folders
through the same variables a user would set.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "kindnudge"
CONFIG_ENV = "KINDNUDGE_CONFIG"


def default_config_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False) / "config.yaml"


def config_file(explicit: str | None = None) -> tuple[Path, bool]:
    """The config to read, and whether the user named it (then it must exist)."""
    if explicit:
        return Path(explicit).expanduser(), True
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser(), True
    return default_config_file(), False


def state_dir() -> Path:
    from platformdirs import user_state_path

    return user_state_path(APP, appauthor=False)


def cache_dir() -> Path:
    """Checked packs, kept as JSON so start-up needn't parse YAML; safe to delete."""
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)


def state_db() -> Path:
    return state_dir() / "state.sqlite3"


def builtin_packs_dir() -> Path:
    """Packs ship inside the wheel; a source checkout keeps them at the top."""
    packaged = Path(__file__).with_name("affirmations")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "affirmations"


def ensure_private_dir(path: Path) -> Path:
    """State is personal: our folder is readable by the user alone, even if
    something else created it first."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def ensure_private_file(path: Path) -> Path:
    """Create `path` (if new) readable and writable by the user alone."""
    ensure_private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    return path


def real_file(path: Path) -> Path:
    """The file to rewrite for a user's `path`: where their symlink points, so it stays
    a link (replacing `path` itself would put a plain file in the link's place)."""
    return path.resolve() if path.is_symlink() and path.exists() else path


def replace_atomically(path: Path, content: str | bytes) -> None:
    """Write beside `path`, then rename over it: a reader (or a crash) sees the
    old file or the new one, never half of one. A file that was there keeps
    its permissions."""
    import stat
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
