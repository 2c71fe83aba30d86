"""Saved state: a private SQLite file under XDG_STATE_HOME that outlives the process."""

from __future__ import annotations

import stat
from datetime import datetime, timezone

from kindnudge import paths
from kindnudge.state import HistoryEntry, State


def test_state_lives_under_xdg_state_home_with_private_permissions(home):
    db = paths.state_db()
    assert db == home / "state" / "kindnudge" / "state.sqlite3"
    with State(db):
        pass
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_bag_and_history_survive_reopening(home):
    at = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    with State(paths.state_db()) as state, state.transaction():
        state.mark_seen("reframe", "a")
        state.mark_seen("reframe", "b")
        state.record(HistoryEntry(at, "morning", "reframe", "b", "text b", "delivered", None))
    with State(paths.state_db()) as state:
        assert state.seen("reframe") == {"a", "b"}
        assert state.seen("self-care") == set()
        assert state.last_delivered("reframe") == "b"
        assert state.history(5)[0].at == at
        with state.transaction():
            state.mark_seen("reframe", "c", refill={"a", "b"})
        assert state.seen("reframe") == {"c"}


def test_a_failed_step_leaves_nothing_half_written(home):
    with State(paths.state_db()) as state:
        try:
            with state.transaction():
                state.mark_seen("reframe", "a")
                raise RuntimeError("power cut")
        except RuntimeError:
            pass
        assert state.seen("reframe") == set()
