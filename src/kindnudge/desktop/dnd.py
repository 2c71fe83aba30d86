"""Do Not Disturb, as each desktop keeps it."""

from __future__ import annotations

import os
import shutil
import subprocess

from kindnudge.desktop import Unavailable
from kindnudge.desktop.bus import (
    Bus,
    boolean,
    call,
    get_property,
    properties_changed,
    require_owner,
    signal_rule,
)
from kindnudge.notify.dbus import BUS_NAME, OBJECT_PATH

SUBPROCESS_TIMEOUT_S = 2.0


class ServerInhibited:
    """The notification server's own `Inhibited` property (KDE Plasma; from
    Plasma 6.4 also set while a window is fullscreen). It says when it flips."""

    source = "do-not-disturb"
    how = "the notification server's Inhibited property (KDE Plasma)"
    signals = (properties_changed(BUS_NAME, OBJECT_PATH, BUS_NAME),)

    def read(self, bus: Bus) -> str | None:
        inhibited = get_property(bus, BUS_NAME, OBJECT_PATH, BUS_NAME, "Inhibited")
        return "Do Not Disturb is on" if boolean(inhibited, self.how) else None


class DunstPaused:
    """dunst's paused state (`dunstctl set-paused true`). dunst signals a pause
    made by dunstctl only from 1.13.1, so it is also re-checked while held."""

    source = "do-not-disturb"
    how = "dunst's paused state"
    signals = (properties_changed(BUS_NAME, OBJECT_PATH, "org.dunstproject.cmd0"),)

    def read(self, bus: Bus) -> str | None:
        paused = get_property(bus, BUS_NAME, OBJECT_PATH, "org.dunstproject.cmd0", "paused")
        return "Do Not Disturb is on (dunst is paused)" if boolean(paused, self.how) else None


XFCONF = "org.xfce.Xfconf"


class XfceDoNotDisturb:
    """xfce4-notifyd's `/do-not-disturb`, read from xfconfd over D-Bus (what
    `xfconf-query -c xfce4-notifyd -p /do-not-disturb` does, without a process,
    and without starting xfconfd where it is installed but not running)."""

    source = "do-not-disturb"
    how = "XFCE's Do Not Disturb"
    signals = (
        signal_rule(
            "PropertyChanged", XFCONF, "/org/xfce/Xfconf", XFCONF, "xfce4-notifyd", "/do-not-disturb"
        ),
    )

    def read(self, bus: Bus) -> str | None:
        require_owner(bus, XFCONF)
        try:
            (value,) = call(
                bus,
                XFCONF,
                "/org/xfce/Xfconf",
                XFCONF,
                "GetProperty",
                "ss",
                ("xfce4-notifyd", "/do-not-disturb"),
            )
        except Unavailable:
            return None  # never switched on, so never written
        return "Do Not Disturb is on" if value[1] is True else None


class GnomeBanners:
    """GNOME's `show-banners` setting (off: Do Not Disturb). It has no D-Bus
    getter, so it is read with `gsettings get`, only inside a GNOME Shell
    session (so a setting left from another desktop never holds a nudge), and
    only when asked: never in a loop."""

    source = "do-not-disturb"
    how = "GNOME's Do Not Disturb"
    signals = ()

    def __init__(self, timeout_s: float = SUBPROCESS_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    def read(self, bus: Bus) -> str | None:
        gsettings = shutil.which("gsettings")
        if gsettings is None:
            raise Unavailable("gsettings is not installed")
        require_owner(bus, "org.gnome.Shell")
        try:
            out = subprocess.run(
                [gsettings, "get", "org.gnome.desktop.notifications", "show-banners"],
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                env={**os.environ, "LC_ALL": "C"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"gsettings did not answer: {exc}") from None
        if out.returncode != 0:  # "No such schema", "No such key": an older GNOME
            raise Unavailable(out.stderr.strip() or f"gsettings exited with status {out.returncode}")
        return "Do Not Disturb is on" if out.stdout.strip() == "false" else None
