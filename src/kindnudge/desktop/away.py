"""Away: no input for longer than `away_after`. There is no signal for coming
back that a short-lived reader can use, so this is re-checked while a nudge is
held (Mutter's user-active watch belongs to the connection that set it)."""

from __future__ import annotations

from datetime import timedelta

from kindnudge.desktop.bus import Bus, call, count


def away_for(idle: timedelta) -> str:
    """ "you have been away for 14 minutes", as `status` says it."""
    seconds = int(idle.total_seconds())
    count, unit = (seconds // 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"you have been away for {count} {unit}{'' if count == 1 else 's'}"


class _Idle:
    source = "away"
    signals: tuple[str, ...] = ()

    def __init__(self, away_after: timedelta) -> None:
        self.away_after = away_after

    def read(self, bus: Bus) -> str | None:
        idle = timedelta(milliseconds=count(self.idle_ms(bus), self.how))
        return away_for(idle) if idle >= self.away_after else None

    def idle_ms(self, bus: Bus) -> int:
        raise NotImplementedError


class MutterIdle(_Idle):
    """GNOME: Mutter's IdleMonitor (milliseconds), on X11 and Wayland alike."""

    how = "GNOME's idle time"

    def idle_ms(self, bus: Bus) -> int:
        name = "org.gnome.Mutter.IdleMonitor"
        return call(bus, name, "/org/gnome/Mutter/IdleMonitor/Core", name, "GetIdletime")[0]


class ScreenSaverIdle(_Idle):
    """org.freedesktop.ScreenSaver's GetSessionIdleTime. KDE Plasma answers in
    milliseconds (KIdleTime), and on Wayland refuses (NotSupported); a few
    others answer in seconds, which reads as never away, the harmless side;
    some always answer 0."""

    how = "the screensaver's idle time"

    def idle_ms(self, bus: Bus) -> int:
        name = "org.freedesktop.ScreenSaver"
        return call(bus, name, "/org/freedesktop/ScreenSaver", name, "GetSessionIdleTime")[0]


class X11Idle(_Idle):
    """The X server's own count (the MIT-SCREEN-SAVER extension, libXss)."""

    how = "the X server's idle time"

    def idle_ms(self, bus: Bus) -> int:
        from kindnudge.desktop import x11

        return x11.idle_ms()
