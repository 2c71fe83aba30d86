"""Following the config while `kindnudge run` runs.

A change to the config, your own messages or a pack loads everything again.
What loads and plans is used; what doesn't leaves the running schedule as it
was, and the person is told once per distinct problem, naming the file at
fault. Reloads run on a thread of their own, one at a time, so that a stop is
answered at once even while a huge pack is read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from kindnudge import ownpack
from kindnudge.config import load_config
from kindnudge.errors import KindnudgeError, Location
from kindnudge.firing import Loaded

log = logging.getLogger("kindnudge")

TELL_AT_MOST_EVERY = timedelta(minutes=1)  # an editor saving at each key would otherwise fill the screen


class Reloads:
    def __init__(
        self,
        load: Callable[[], Loaded],
        config_file: Path | None,
        clock: Callable[[], datetime],
        tell_user: Callable[[str, str], None],
    ) -> None:
        self.load = load
        self.config_file = config_file
        self.clock = clock
        self.tell_user = tell_user
        self.complaint: str | None = None  # the latest reload problem
        self._told: tuple[datetime, str | None] | None = None  # when the user was last told, and what

    def attempt(self, current: Loaded | None) -> tuple[Loaded | None, list[Path]]:
        """The new config, or None to keep `current`; and the files to watch from now on.

        Never raises: whatever loading throws, the daemon runs on as it was.
        """
        try:
            loaded = self.load()
            loaded.plan.upcoming(self.clock(), 1)  # a plan that can't answer is not used
        except Exception as exc:
            self._keep_previous(exc)
            return None, self.watched(current, self._at_fault(exc), *self._packs_on_disk())
        self.complaint = None
        if self._told:  # fixed: the same mistake made again is news again
            self._told = (self._told[0], None)
        return loaded, self.watched(loaded)

    def watched(self, loaded: Loaded | None, *more: Path) -> list[Path]:
        """What a reload reads: the config, your own messages, and the packs."""
        if self.config_file is None:
            return list(more)
        packs = [ref.path for ref in loaded.config.packs] if loaded else []
        return [self.config_file, ownpack.path_for(self.config_file), *packs, *more]

    def _packs_on_disk(self) -> list[Path]:
        """Packs the config on disk names, though it can't be used yet: fixing or
        creating one of them must reload too."""
        try:
            return [ref.path for ref in load_config(self.config_file, required=False).packs]
        except Exception:  # a config that can't be read names no packs; the reload said why
            return []

    def _keep_previous(self, exc: Exception) -> None:
        """Log why a reload was refused, and tell the user once per distinct
        problem, at most once a minute."""
        at_fault = self._at_fault(exc)
        name = "your config" if at_fault == self.config_file else at_fault.name
        if isinstance(exc, KindnudgeError):
            log.error("%s has a problem; keeping the previous schedule and messages: %s", at_fault, exc)
            problem = str(exc)
        else:
            log.exception("%s could not be used; keeping the previous schedule and messages", at_fault)
            problem = f"{at_fault}: kindnudge hit an unexpected {type(exc).__name__} ({exc}); see the log"
        self.complaint = problem  # the latest, for `now` and `status`
        now = self.clock()
        if self._told and (problem == self._told[1] or abs(now - self._told[0]) < TELL_AT_MOST_EVERY):
            return  # said already, or a moment ago: the log has it, and the next save tells it
        self._told = (now, problem)
        self.tell_user(
            f"kindnudge: {name} needs a look",
            f"{problem}. Your previous schedule and messages keep running until this is fixed.",
        )

    def _at_fault(self, exc: Exception) -> Path:
        """The file a reload problem is in: a pack's own path, else the config."""
        where = getattr(exc, "where", None)
        if isinstance(where, Location) and isinstance(where.path, Path):
            return where.path
        return self.config_file or Path("config.yaml")


class OneAtATime:
    """Runs `work` on a thread of its own when asked; asked again meanwhile,
    it runs once more after, so the last change is never missed."""

    def __init__(self, work: Callable[[], None], name: str) -> None:
        self.work = work
        self.name = name
        self._lock = threading.Lock()  # guards the two flags below
        self._running = self._again = False

    def ask(self) -> None:
        with self._lock:
            self._again = self._running
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._until_current, name=self.name, daemon=True).start()

    def _until_current(self) -> None:
        while True:
            self.work()
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False
