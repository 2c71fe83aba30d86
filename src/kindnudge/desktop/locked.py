"""A locked screen, from the screensaver's D-Bus service (it says when it
unlocks: ActiveChanged)."""

from __future__ import annotations

from kindnudge.desktop.bus import Bus, boolean, call, signal_rule


class ScreenSaverActive:
    """`GetActive` of a screensaver service: org.freedesktop.ScreenSaver (KDE
    Plasma, XFCE, LXQt) or org.gnome.ScreenSaver (GNOME Shell)."""

    source = "locked"

    def __init__(self, name: str, path: str, how: str) -> None:
        self.name, self.path, self.how = name, path, how
        self.signals = (signal_rule("ActiveChanged", name, None, name),)  # KDE sends it from two paths

    def read(self, bus: Bus) -> str | None:
        (active,) = call(bus, self.name, self.path, self.name, "GetActive")
        return "the screen is locked" if boolean(active, self.how) else None


def screensavers() -> list[ScreenSaverActive]:
    return [
        ScreenSaverActive(
            "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "the screensaver's lock state"
        ),
        ScreenSaverActive("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "GNOME's lock state"),
    ]
