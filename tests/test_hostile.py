"""Hostile input: every file, value, number and machine state a tester could
throw at kindnudge ends in a clear one-line answer, never a traceback or hang.

Each case runs the installed command in a fresh home and asserts what a
person would notice: exit status 0, 1 or 2 (never 70), at most one line on
stderr and none of it Python's, the file at fault named when there is one,
and an answer within 10 s. Marked `reliability`; CI runs it.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import KINDNUDGE

pytestmark = pytest.mark.reliability

CONSOLE = "notification:\n  backend: console\n"
WITH_PACK = CONSOLE + "content:\n  packs: [extra.yaml]\n"
GOOD_PACK = "messages:\n  - id: mine-1\n    kind: reframe\n    text: You are allowed to rest.\n"


class Home(NamedTuple):
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config" / "kindnudge" / "config.yaml"

    @property
    def own(self) -> Path:
        return self.config.with_name("my-messages.yaml")

    @property
    def pack(self) -> Path:
        return self.config.with_name("extra.yaml")

    @property
    def state_dir(self) -> Path:
        return self.root / "state" / "kindnudge"

    @property
    def db(self) -> Path:
        return self.state_dir / "state.sqlite3"


class Case(NamedTuple):
    name: str
    prepare: Callable[[Home], None]
    args: tuple[str, ...]
    allowed: frozenset[int] = frozenset({2})
    names: str | None = None  # a file name the error line must mention
    env: dict[str, str] = {}  # noqa: RUF012 - NamedTuple default, never mutated
    limit_file_size: bool = False


def kindnudge(home: Home, case: Case) -> subprocess.CompletedProcess:
    env = {**os.environ, **case.env}
    env.update(
        XDG_CONFIG_HOME=str(home.root / "config"),
        XDG_STATE_HOME=str(home.root / "state"),
        XDG_CACHE_HOME=str(home.root / "cache"),
    )

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

    return subprocess.run(
        [KINDNUDGE, *case.args],
        capture_output=True,
        text=True,
        env=env,
        timeout=10,
        preexec_fn=small_files if case.limit_file_size else None,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, case: Case) -> None:
    shown = f"exit {result.returncode}\nstdout: {result.stdout[-500:]}\nstderr: {result.stderr[-2000:]}"
    assert result.returncode in case.allowed, shown
    for python_talk in ("Traceback", "Exception ignored", "internal error"):
        assert python_talk not in result.stderr, shown
    lines = result.stderr.splitlines()
    assert len(lines) <= 1, shown
    if result.returncode:
        assert lines and lines[0].startswith("kindnudge"), shown
        if case.names:
            assert case.names in lines[0], shown


# -- files that are not friendly -----------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to(path.with_name("nowhere.yaml"))


def _folder(path: Path) -> None:
    path.mkdir()


def _sparse(path: Path) -> None:
    with open(path, "wb") as out:
        out.truncate(3 * 1024**3)


def _binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def _latin1(path: Path) -> None:
    path.write_bytes("messages:\n  - id: caf\xe9\n    kind: reframe\n    text: caf\xe9\n".encode("latin-1"))


def _nested(path: Path) -> None:
    path.write_text("[" * 50_000 + "]" * 50_000)


def _bomb(path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    path.write_text("\n".join(lines) + "\nmessages: *a8\n")


def _unreadable_tag(path: Path) -> None:
    path.write_text("!!python/object/apply:os.system ['true']\n")


HOSTILE_FILES: dict[str, Callable[[Path], None]] = {
    "fifo": _fifo,
    "device": _device,
    "symlink-loop": _loop,
    "dangling-symlink": _dangling,
    "folder": _folder,
    "sparse-3GB": _sparse,
    "binary": _binary,
    "latin-1": _latin1,
    "nested-50k": _nested,
    "alias-bomb": _bomb,
    "python-tag": _unreadable_tag,
}


def _hostile(target: str, make: Callable[[Path], None]) -> Callable[[Home], None]:
    def prepare(home: Home) -> None:
        home.config.parent.mkdir(parents=True, exist_ok=True)
        if target != "config.yaml":
            home.config.write_text(WITH_PACK if target == "extra.yaml" else CONSOLE)
        make(home.config.with_name(target))

    return prepare


FILE_COMMANDS = (("check",), ("now", "--dry-run"), ("list",), ("add", "You are enough.", "--kind", "reframe"))
FILE_CASES = [
    Case(f"{target}-{kind}-{args[0]}", _hostile(target, make), args, names=target)
    for target in ("config.yaml", "my-messages.yaml", "extra.yaml")
    for kind, make in HOSTILE_FILES.items()
    for args in FILE_COMMANDS
]

# -- values that can't be used -------------------------------------------------


def _config(text: str) -> Callable[[Home], None]:
    def prepare(home: Home) -> None:
        home.config.parent.mkdir(parents=True, exist_ok=True)
        home.config.write_text(text)

    return prepare


def _own(text: str) -> Callable[[Home], None]:
    def prepare(home: Home) -> None:
        home.config.parent.mkdir(parents=True, exist_ok=True)
        home.config.write_text(CONSOLE)
        home.own.write_text(text)

    return prepare


def _message(field: str) -> str:
    return f"messages:\n  - id: odd\n    kind: reframe\n    {field}\n"


BAD_CONFIGS = {
    "catch-up-huge": "catch_up: 99999999999d\n",
    "catch-up-digits": "catch_up: 99999999999999999999999999999s\n",
    "timeout-25d": "notification:\n  timeout: 25d\n",
    "timeout-huge": "notification:\n  timeout: 999999999999h\n",
    "min-gap-huge": "schedule:\n  - random: 2\n    between: ['09:00', '17:00']\n    min_gap: 999999999d\n",
    "random-billion": "schedule:\n  - random: 1000000000\n    between: ['09:00', '17:00']\n",
    "random-negative": "schedule:\n  - random: -3\n    between: ['09:00', '17:00']\n",
    "random-float": "schedule:\n  - random: 2.5\n    between: ['09:00', '17:00']\n",
    "at-99": "schedule:\n  - at: '99:99'\n",
    "at-list-huge": "schedule:\n  - at: [" + ", ".join(["'09:00'"] * 5000) + "]\n",
    "days-number": "schedule:\n  - at: '09:00'\n    days: 100000000000000000000\n",
    "cron-digits": "schedule:\n  - cron: '0 9 99999999999999999999 * *'\n",
    "cron-unicode": "schedule:\n  - cron: '\u0660 \u0669 * * *'\n",
    "tz-deep": "timezone: " + "a/" * 3000 + "b\n",
    "tz-long": "timezone: " + "A" * 100_000 + "\n",
    "tz-dotdot": "timezone: ../../../../etc/passwd\n",
    "tz-nul": 'timezone: "Europe/Berlin\\0"\n',
    "tz-absolute": "timezone: /etc/localtime\n",
    "title-nul": 'notification:\n  title: "Hi\\0there"\n',
    "title-bell": 'notification:\n  title: "Hi\\athere"\n',
    "title-invisible": 'notification:\n  title: "\\u200b\\u2060\\ufeff"\n',
    "weight-inf": "content:\n  favourite_weight: .inf\n",
    "weight-huge": "content:\n  favourite_weight: 99999999999999999999999\n",
    "quiet-25": "quiet_hours: ['25:00', '07:00']\n",
    "between-bad": "schedule:\n  - random: 2\n    between: ['09:00', '99:00']\n",
    "packs-nul": 'content:\n  packs: ["a\\0b.yaml"]\n',
    "packs-long": "content:\n  packs: [" + "x" * 10_000 + ".yaml]\n",
    "schedule-10k": "schedule:\n"
    + "".join(f"  - at: '09:{i % 60:02d}'\n    name: r{i}\n" for i in range(9999)),
    "urls-huge": "push:\n  urls: [" + ", ".join(["'json://x'"] * 10_000) + "]\n",
    "key-huge": "x" * 100_000 + ": 1\n",
    "weight-5000-digits": "content:\n  favourite_weight: " + "9" * 5000 + "\n",
    "name-hex-5000-digits": "schedule:\n  - {at: '09:00', name: 0x" + "f" * 5000 + "}\n",
    "raw-bell": "timezone: UTC\x07\n",
    "raw-nul": "timezone: UTC\x00\n",
    "catch-up-nan": "catch_up: .nan\n",
    "catch-up-inf": "catch_up: .inf\n",
    "packs-no-such-user": "content:\n  packs: ['~nosuchuser/x.yaml']\n",
    "rule-name-escape": 'schedule:\n  - {name: "evil\\e]0;pwned\\a\\e[2J", at: "09:00"}\n',
}
BAD_MESSAGES = {
    "text-nul": _message('text: "You are\\0 enough."'),
    "text-escape": _message('text: "You are \\e[31m enough."'),
    "text-invisible": _message('text: "\\u200b\\u200b\\u2060"'),
    "text-long": _message("text: " + "a" * 5000),
    "id-newline": 'messages:\n  - id: "odd\\n"\n    kind: reframe\n    text: You matter.\n',
    "id-true": "messages:\n  - id: true\n    kind: reframe\n    text: You matter.\n",
    "id-list": "messages:\n  - id: [a, b]\n    kind: reframe\n    text: You matter.\n",
    "kind-odd": "messages:\n  - id: odd\n    kind: '\\0'\n    text: You matter.\n",
    "messages-mapping": "messages:\n  a: b\n",
    "messages-100k-none": "messages:\n" + "  -\n" * 100_000,
}
LARGE_BUT_FINE = {"schedule-10k", "urls-huge", "at-list-huge"}  # may be accepted; must not hang
VALUE_CASES = [
    Case(
        f"config-{name}-{args[0]}",
        _config(text if "notification:" in text else CONSOLE + text),  # accepted: `check` can deliver
        args,
        frozenset({0, 2} if name in LARGE_BUT_FINE else {2}),
        names="config.yaml",
    )
    for name, text in BAD_CONFIGS.items()
    for args in (("check",), ("next",))
] + [
    Case(f"own-{name}-{args[0]}", _own(text), args, names="my-messages.yaml")
    for name, text in BAD_MESSAGES.items()
    for args in (("check",), ("now", "--dry-run"))
]

# -- numbers and moments on the command line -----------------------------------

ARGUMENTS = [
    ("next", "-n", "0"),
    ("next", "-n", "-1"),
    ("next", "-n", "10000000"),
    ("next", "-n", "99999999999999999999999999"),
    ("next", "-n", "ten"),
    ("next", "--from", "9999-12-31T00:00"),
    ("next", "--from", "0001-01-01T00:00"),
    ("next", "--from", "2026-13-45"),
    ("next", "--from", "2026-03-29T02:30+99:00"),
    ("history", "-n", "0"),
    ("history", "-n", "99999999999999999999999999"),
    ("pause", "99999999999999d"),
    ("pause", "0"),
    ("pause", "-5m"),
    ("pause", "1e9h"),
    ("pause", ""),
    ("pause", "--until", ""),
    ("pause", "until", ""),
    ("--config", "~nosuchuser/c.yaml", "check"),
    ("pause", "--until", "9999-12-31T23:59"),
    ("pause", "--until", "0001-01-01T00:00"),
    ("pause", "--until", "25:00"),
    ("pause", "--until", "tomorrow-ish"),
    ("hide", ""),
    ("hide", "no-such-message"),
    ("favourite", "x" * 10_000),
    ("add", "", "--kind", "reframe"),
    ("add", "\x1b[31mred", "--kind", "reframe"),
    ("add", "x" * 100_000, "--kind", "reframe"),
    ("add", "\u200b\u2060", "--kind", "reframe"),
    ("remove", "no-such-message"),
    ("config", "sideways"),
    ("setup", "--yes", "--no-test", "--random", "0"),
    ("setup", "--yes", "--no-test", "--times", "08:00", "--quiet", "07:00-09:00"),
    ("dance",),
]
ARGUMENT_CASES = [Case("args-" + "-".join(a)[:60], _config(CONSOLE), a) for a in ARGUMENTS]

# -- the machine itself ----------------------------------------------------------

ENVIRONMENTS = [
    {"TZ": "UTC+5"},
    {"TZ": "EST5EDT"},
    {"TZ": "Nowhere/Land"},
    {"TZ": ":/etc/localtime"},
    {"TZ": ""},
    {"TZ": "A" * 5000},
    {"TZ": "UTC+25"},
    {"TZ": "XXX999999999"},
    {"PYTHONIOENCODING": "ascii"},
    {"LANG": "C", "LC_ALL": "C"},
]
ENV_CASES = [
    Case(f"env-{'-'.join(f'{k}={v[:12]}' for k, v in env.items())}-{args[0]}", _config(CONSOLE), args,
         frozenset({0}), env=env)
    for env in ENVIRONMENTS
    for args in (("next",), ("list",), ("status",), ("now",))
]  # fmt: skip


def _state(make: Callable[[Home], None]) -> Callable[[Home], None]:
    def prepare(home: Home) -> None:
        _config(CONSOLE)(home)
        home.state_dir.mkdir(parents=True, mode=0o700)
        make(home)

    return prepare


def _truncated(home: Home) -> None:
    with sqlite3.connect(home.db) as db:
        db.execute("CREATE TABLE marks (message_id TEXT PRIMARY KEY, mark TEXT NOT NULL)")
        db.executemany("INSERT INTO marks VALUES (?, 'hidden')", [(f"m{i}",) for i in range(2000)])
    os.truncate(home.db, 100)


def _junk_state(home: Home) -> None:
    home.db.write_bytes(os.urandom(8192))


def _text_state(home: Home) -> None:
    home.db.write_text("this is not a database\n")


def _dir_state(home: Home) -> None:
    home.db.mkdir()


def _state_dir_is_file(home: Home) -> None:
    home.state_dir.rmdir()
    home.state_dir.write_text("")


def _db_symlink(home: Home) -> None:
    home.db.symlink_to(home.root / "elsewhere.sqlite3")


def _lock_symlink(home: Home) -> None:
    (home.root / "precious.txt").write_text("keep me\n")
    (home.state_dir / "daemon.lock").symlink_to(home.root / "precious.txt")


def _log_symlink(home: Home) -> None:
    (home.root / "precious.txt").write_text("keep me\n")
    (home.state_dir / "kindnudge.log").symlink_to(home.root / "precious.txt")


def _wal_folder(home: Home) -> None:
    home.db.with_name("state.sqlite3-wal").mkdir()


STATES = {
    "truncated": _truncated,
    "junk": _junk_state,
    "text": _text_state,
    "folder": _dir_state,
    "state-dir-is-a-file": _state_dir_is_file,
    "db-symlink": _db_symlink,
    "lock-symlink": _lock_symlink,
    "log-symlink": _log_symlink,
    "wal-folder": _wal_folder,
}
STATE_COMMANDS = (("history",), ("status",), ("now",), ("pause", "1h"), ("resume",), ("hide", "last"))
STATE_CASES = (
    [
        Case(f"state-{name}-{args[0]}", _state(make), args, frozenset({0, 1, 2}))
        for name, make in STATES.items()
        for args in STATE_COMMANDS
    ]
    + [
        Case(f"run-{name}", _state(make), ("run",), frozenset({1}), names=name.split("-")[0])
        for name, make in (("lock-symlink", _lock_symlink), ("log-symlink", _log_symlink))
    ]
    + [
        Case(f"ulimit-f-{args[0]}", _config(CONSOLE), args, frozenset({0, 1}), limit_file_size=True)
        for args in STATE_COMMANDS[:5]
    ]
)

CASES = FILE_CASES + VALUE_CASES + ARGUMENT_CASES + ENV_CASES + STATE_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_gets_one_clear_line(case: Case, tmp_path: Path) -> None:
    home = Home(tmp_path)
    case.prepare(home)
    assert_one_clear_line(kindnudge(home, case), case)
    precious = home.root / "precious.txt"
    if precious.exists():
        assert precious.read_text() == "keep me\n", "a planted symlink made kindnudge write elsewhere"
    assert not (home.root / "elsewhere.sqlite3").exists(), "a planted symlink made kindnudge write elsewhere"


def test_there_are_at_least_150_cases() -> None:
    assert len(CASES) >= 150, len(CASES)


def test_a_hidden_line_stays_hidden_after_the_state_file_is_damaged(tmp_path: Path) -> None:
    """The worst outcome of a broken state file: a painful line the person hid comes back."""
    import json

    home = Home(tmp_path)
    _config(CONSOLE)(home)
    ok = frozenset({0})
    listed = kindnudge(home, Case("list", _config(CONSOLE), ("list", "--json"), ok))
    first = json.loads(listed.stdout)[0]["id"]
    assert kindnudge(home, Case("hide", _config(CONSOLE), ("hide", first), ok)).returncode == 0
    with open(home.db, "r+b") as db:  # the bag's pages, past the schema; the marks survive
        db.seek(4096)
        db.write(os.urandom(4096))
    damaged = Case("history", _config(CONSOLE), ("history",), frozenset({0, 1}))
    assert_one_clear_line(kindnudge(home, damaged), damaged)
    undo = kindnudge(home, Case("undo", _config(CONSOLE), ("hide", first, "--undo"), ok))
    assert "no longer hidden" in undo.stdout, undo.stdout + undo.stderr


# -- a running daemon under the same attacks -----------------------------------

DAEMON_ATTACKS: dict[str, Callable[[Path], None]] = {
    **{kind: HOSTILE_FILES[kind] for kind in ("fifo", "device", "symlink-loop", "dangling-symlink",
                                             "sparse-3GB", "nested-50k", "alias-bomb", "python-tag")},
    **{name: (lambda text: lambda path: path.write_text(text))(BAD_CONFIGS[name])
       for name in ("catch-up-huge", "min-gap-huge", "timeout-25d", "tz-deep", "title-nul")},
}  # fmt: skip


def test_a_running_daemon_survives_every_attack_and_every_slot_keeps_one_row(
    desktop, config_file, fake_clock, daemons
) -> None:
    """Each attack is saved over the config of a running daemon, then the clock
    moves past the next slot: the old schedule goes on, and at the end every
    slot in the window has exactly one history row, in a final state."""
    import json
    from datetime import datetime, timedelta, timezone

    from conftest import run
    from running import next_minute, schedule

    utc = timezone.utc
    slots = [next_minute(2 + i) for i in range(len(DAEMON_ATTACKS))]
    schedule(config_file, *slots)
    good = config_file.read_text()
    daemon = daemons({**fake_clock.env, "KINDNUDGE_HEARTBEAT": "0.2"})
    for i, (name, attack) in enumerate(DAEMON_ATTACKS.items()):
        if config_file.is_symlink() or config_file.exists():
            config_file.unlink()
        attack(config_file)
        daemon.wait_for("keeping the previous schedule", timeout=10, times=i + 1)
        fake_clock.set((slots[i] + timedelta(seconds=1) - datetime.now(utc)).total_seconds())
        deadline = time.monotonic() + 10
        while len(json.loads(run("history", "--json", "-n", "100").stdout)) < i + 1:
            assert time.monotonic() < deadline, f"{name}: no row for {slots[i]}\n{daemon.log_text()}"
            assert daemon.proc.poll() is None, f"{name} stopped the daemon\n{daemon.log_text()}"
            time.sleep(0.05)
    assert daemon.proc.poll() is None
    config_file.unlink()
    config_file.write_text(good)
    daemon.wait_for("config reloaded")
    daemon.stop()
    rows = json.loads(run("history", "--json", "-n", "100").stdout)
    by_due = {}
    for row in rows:
        by_due.setdefault(row["due"], []).append(row)
    assert sorted(by_due) == sorted(s.isoformat() for s in slots), rows
    assert all(len(found) == 1 for found in by_due.values()), rows
    assert {row["status"] for row in rows} <= {"delivered", "failed", "skipped"}, rows
