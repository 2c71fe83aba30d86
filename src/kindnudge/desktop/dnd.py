"""Do Not Disturb, as each desktop keeps it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindnudge.desktop.bus import get_property
from kindnudge.notify.dbus import BUS_NAME, OBJECT_PATH


class DunstPaused:
    """dunst's paused state (`dunstctl set-paused true`). dunst signals a pause
    made by dunstctl only from 1.13.1, so it is also re-checked while held."""

    source = "do-not-disturb"
    how = "dunst's paused state"
    signals = (
        f"type='signal',sender='{BUS_NAME}',interface='org.freedesktop.DBus.Properties',"
        f"member='PropertiesChanged',path='{OBJECT_PATH}',arg0='org.dunstproject.cmd0'",
    )

    def read(self, bus: Callable[[Any], tuple]) -> str | None:
        return (
            "Do Not Disturb is on (dunst is paused)"
            if get_property(bus, BUS_NAME, OBJECT_PATH, "org.dunstproject.cmd0", "paused")
            else None
        )
