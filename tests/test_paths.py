"""Where kindnudge keeps things: on Linux, exactly the folders platformdirs would name."""

from __future__ import annotations

import platformdirs
import pytest

from kindnudge import paths

CASES = {  # name: environment changes
    "set": {"XDG_CONFIG_HOME": "/x/config", "XDG_STATE_HOME": "/x/state", "XDG_CACHE_HOME": "/x/cache"},
    "unset": {"XDG_CONFIG_HOME": None, "XDG_STATE_HOME": None, "XDG_CACHE_HOME": None},
    "empty": {"XDG_CONFIG_HOME": "", "XDG_STATE_HOME": " ", "XDG_CACHE_HOME": ""},
    "relative, so ignored": {"XDG_CONFIG_HOME": "cfg", "XDG_STATE_HOME": "./st", "XDG_CACHE_HOME": "~/c"},
    "relative home": {"XDG_CONFIG_HOME": None, "XDG_STATE_HOME": None, "XDG_CACHE_HOME": None, "HOME": "me"},
}


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES)
def test_the_folders_are_the_ones_platformdirs_names(monkeypatch, changes):
    for name, value in changes.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv(paths.CONFIG_ENV, raising=False)
    assert paths.default_config_file() == platformdirs.user_config_path("kindnudge", appauthor=False) / (
        "config.yaml"
    )
    assert paths.state_dir() == platformdirs.user_state_path("kindnudge", appauthor=False)
    assert paths.cache_dir() == platformdirs.user_cache_path("kindnudge", appauthor=False)
