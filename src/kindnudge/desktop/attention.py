"""The `respect`ed sources, asked together: the one thing the daemon and the
commands ask about the moment."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import timedelta

from kindnudge.desktop import Busy, Offer, Probe, Unavailable

log = logging.getLogger("kindnudge")


class Attention:
    """The `respect`ed sources, asked together."""

    def __init__(
        self, respect: Collection[str], away_after: timedelta, probes: Sequence[Probe] | None = None
    ) -> None:
        self.respect = frozenset(respect)
        self.away_after = away_after
        self._probes = probes  # None: every source kindnudge knows, imported when first asked

    @property
    def probes(self) -> list[Probe]:
        """The respected sources; found when first asked, so an idle daemon holds none of their code."""
        known = default_probes(self.away_after) if self._probes is None else self._probes
        self._probes = known
        return [p for p in known if p.source in self.respect]

    def busy(self) -> Busy | None:
        """The first respected source saying it is a bad moment; None: go ahead."""
        for offer in self._read(stop_at_first=True):
            if offer.busy:
                return Busy(offer.source, offer.busy)
        return None

    def offered(self) -> list[Offer]:
        """Every source this desktop has, with what it says now (for `check`)."""
        return self._read(stop_at_first=False)

    def signals(self) -> list[str]:
        """Match rules for the signals that may mean a bad moment ended."""
        return [rule for probe in self.probes for rule in probe.signals]

    def _read(self, stop_at_first: bool) -> list[Offer]:
        from kindnudge.desktop.bus import asking

        offers: list[Offer] = []
        with asking() as bus:
            for probe in self.probes:
                try:
                    why = probe.read(bus)
                except Unavailable:
                    continue
                except Exception as exc:  # a source that fails never holds a nudge
                    log.debug("could not read %s: %s", probe.how, exc)
                    continue
                offers.append(Offer(probe.source, probe.how, why))
                if why and stop_at_first:
                    break
        return offers


def default_probes(away_after: timedelta) -> list[Probe]:
    """Every source kindnudge knows, in the order they are asked: one D-Bus
    call each first, then the X server, then the one that runs a program."""
    from kindnudge.desktop import away, dnd, fullscreen, locked

    return [
        dnd.ServerInhibited(),
        dnd.DunstPaused(),
        dnd.XfceDoNotDisturb(),
        *locked.screensavers(),
        away.MutterIdle(away_after),
        away.ScreenSaverIdle(away_after),
        fullscreen.X11Fullscreen(),
        away.X11Idle(away_after),
        fullscreen.WindowsBusy(),
        fullscreen.WindowsLocked(),
        dnd.GnomeBanners(),
    ]
