"""`kindnudge now` handed over to the running daemon.

Only the process that sent a notification receives its buttons, so `now`
asks the daemon (over channel.py's socket) to show the nudge. The daemon
shows it as a firing would, with buttons it answers, and replies with what
it showed or why it couldn't.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

from kindnudge import channel, journey
from kindnudge.errors import KindnudgeError, machine_error
from kindnudge.firing import STATE_WAIT_S, Loaded
from kindnudge.nudge import Delivery, by_hand
from kindnudge.state import State
from kindnudge.timetext import when

if TYPE_CHECKING:
    from kindnudge.buttons import Buttons

log = logging.getLogger("kindnudge")


class Handover:
    def __init__(
        self,
        state_path: Path,
        config_file: Path | None,
        loaded: Callable[[], Loaded],
        clock: Callable[[], datetime],
        rng: Random,
        buttons: Buttons | None,
        complaint: Callable[[], str | None],
    ) -> None:
        self.state_path = state_path
        self.config_file = config_file
        self.loaded = loaded  # the config and messages in effect now
        self.clock = clock
        self.rng = rng
        self.buttons = buttons
        self.complaint = complaint  # the reload problem the user was last told about
        self.listener: channel.Listener | None = None

    def start(self) -> None:
        """Without the channel, nudges still come on schedule and `now` shows
        its own, so a problem here is logged, not fatal."""
        if not channel.available():
            return
        listener = channel.Listener(channel.socket_path(), self.asked)
        try:
            listener.start()
        except OSError as exc:
            log.error("not taking `kindnudge now` requests: %s", machine_error(exc, None, "listen"))
            return
        self.listener = listener
        log.info("taking `kindnudge now` requests on %s", listener.path)

    def stop(self) -> None:
        if self.listener:
            self.listener.stop()

    def asked(self, request: dict) -> dict:
        """A `kindnudge now` request (checked by channel.parse_request): its reply."""
        reads = os.path.realpath(self.config_file) if self.config_file else ""
        if os.path.realpath(request["config"]) != reads:
            return {"declined": f"reads {self.config_file}, not this config"}
        loaded = self.loaded()
        now = self.clock()
        notes = []

        def paused(until: datetime) -> None:
            moment = when(until, loaded.config.zone(), now)
            notes.append(f"Paused until {moment}; showing one anyway because you asked.")

        try:
            done, day = self._show(loaded, request["kind"], request["dry_run"], now, paused)
        except KindnudgeError as exc:
            return {"shown": False, "error": str(exc), "exit": exc.exit_code}
        if done.error:
            log.error("`kindnudge now` asked for a nudge; delivery failed: %s", done.error)
            return {"shown": False, "error": str(done.error), "exit": done.error.exit_code}
        if not request["dry_run"]:  # asked once it is shown: a desktop that hangs costs no second wait
            notes += self._would_hold(loaded)
        if done.let_go:
            from kindnudge.holding import wont_come

            notes.append(wont_come(done.let_go, loaded.config.zone()))
        message = done.message
        what = "drew (dry run)" if request["dry_run"] else "delivered"
        log.info("%s %s, asked for by `kindnudge now`", what, message.id)
        complaint = self.complaint()
        return {
            "shown": True,
            "title": loaded.config.title_for(message.kind),
            "text": message.text,
            "id": message.id,
            "notes": notes,
            "after": [f"(from your path: {day.line()})"] if day and request["dry_run"] else [],
            "warning": complaint
            and f"your config needs a look; the running kindnudge uses the previous one: {complaint}",
        }

    def _would_hold(self, loaded: Loaded) -> list[str]:
        """What would have held a scheduled nudge now: `now` shows one anyway."""
        from kindnudge.holding import shown_anyway

        try:
            moment = loaded.attention.busy() if loaded.attention else None
        except Exception:  # a source that fails never holds a nudge, nor stops this one
            log.exception("could not tell whether this is a good moment")
            return []
        return [shown_anyway(moment.why, moment.source)] if moment else []

    def _show(
        self,
        loaded: Loaded,
        kind: str | None,
        dry_run: bool,
        now: datetime,
        paused: Callable[[datetime], None],
    ) -> tuple[Delivery, journey.Day | None]:
        """As a firing shows a nudge: through the daemon's own notifier, from the
        journey's day, with buttons it answers. `kind` None: the config's kinds."""
        kinds = [kind] if kind else list(loaded.config.kinds)
        notifier = None if dry_run else loaded.notifier
        showing = self.buttons.showing if self.buttons else contextlib.nullcontext()
        with showing, State(self.state_path, STATE_WAIT_S) as state:
            day = journey.day_at(state.get_text(journey.STATE_KEY), loaded.route, now, loaded.plan.tz)
            interactive = self.buttons is not None
            done = by_hand(
                loaded.library, loaded.config, kinds, state, notifier, now, self.rng, paused, day, interactive
            )
            if self.buttons and notifier is not None:
                self.buttons.remember(done)
        return done, day
