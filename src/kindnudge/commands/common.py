"""What the commands share: loading config and packs, planning, and showing times."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kindnudge import paths
from kindnudge.errors import UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from kindnudge.config import Config
    from kindnudge.library import Library
    from kindnudge.notify import Alongside, Chain
    from kindnudge.planner import Plan
    from kindnudge.state import HistoryEntry


def config_for(args: argparse.Namespace) -> Config:
    from kindnudge.config import load_config

    return load_config(*paths.config_file(args.config))


def load(args: argparse.Namespace) -> tuple[Config, Library]:
    from kindnudge import ownpack
    from kindnudge.config import load_config
    from kindnudge.errors import Location
    from kindnudge.library import load_all

    path, required = paths.config_file(args.config)
    config = load_config(path, required)
    packs = [(ref.path, ref.where) for ref in config.packs]
    own = ownpack.path_for(path)
    if own.exists() and own not in [p for p, _ in packs]:
        packs.append((own, Location(own)))
    return config, load_all(paths.builtin_packs_dir(), packs, paths.cache_dir())


def notifier_for(config: Config) -> Chain | Alongside:
    """The desktop backends (and push, if set) that this config asks for."""
    from kindnudge import notify

    return notify.choose(config.backend, config.push_urls, config.push_mode)


def resolve_id(text: str, library: Library) -> str:
    """An id as typed, or `last` for the message shown most recently."""
    from kindnudge.state import State

    if text == "last":
        with State(paths.state_db()) as state:
            last = state.history(1, "delivered")
        if not last:
            raise UsageError("nothing has been shown yet, so there is no `last`")
        return last[0].message_id
    if not library.get(text):
        raise UsageError(f"there is no message '{text}'; `kindnudge list` shows them all")
    return text


def plan(config: Config) -> Plan:
    from kindnudge.planner import Plan

    return Plan(config.schedule, config.zone(), config.quiet_hours)


def moment(text: str, config: Config) -> datetime:
    """An ISO 8601 moment; without an offset it is read in the schedule's zone."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not an ISO 8601 time; write e.g. 2026-12-24T08:00 or 2026-12-24T08:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=config.zone())


def utc_now() -> datetime:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def when(moment: datetime, config: Config, now: datetime | None = None) -> str:
    """A moment as a person says it, in the schedule's zone (timetext.when)."""
    from kindnudge import timetext

    return timetext.when(moment, config.zone(), now or utc_now())


def whens(moments: list[datetime], config: Config) -> list[str]:
    """`when` for a column of moments, padded to one width so the next column lines up."""
    now = utc_now()
    texts = [when(m, config, now) for m in moments]
    width = max(map(len, texts), default=0)
    return [text.ljust(width) for text in texts]


def entry_json(entry: HistoryEntry) -> dict:
    return {
        "at": entry.at.isoformat(),
        "due": entry.due.isoformat() if entry.due else None,
        "rule": entry.rule,
        "kind": entry.kind,
        "id": entry.message_id,
        "text": entry.text,
        "status": entry.status,
        "reason": entry.reason,
    }
