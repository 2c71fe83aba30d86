"""kindnudge's benchmarks, each beside a baseline measured in the same run.

    .venv/bin/python bench/run.py [--idle-seconds 60] [--firings 20] [--only cli ...]

Prints a table and writes bench/results/latest.json (latest-PART.json with
--only). Needs what the tests need (Xvfb, dbus, dunst, libfaketime, gcc).
Figures are ratios where the machine's noise would make absolute numbers
meaningless.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import faketime  # noqa: E402
from desktop import Desktop  # noqa: E402

PYTHON = sys.executable
KINDNUDGE = str(Path(PYTHON).with_name("kindnudge"))
UTC = timezone.utc

BARE_SCHEDULER = """
from datetime import datetime, timedelta
from apscheduler.schedulers.blocking import BlockingScheduler
s = BlockingScheduler()
s.add_job(print, "date", run_date=datetime.now().astimezone() + timedelta(hours=12))
s.start()
"""


def proc_stats(pid: int) -> tuple[int, int]:
    """(RSS in KiB, context switches summed over all threads) from /proc."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
    return rss, switches


def idle(command: list[str], env: dict[str, str], seconds: float) -> dict:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # let start-up finish
        rss0, sw0 = proc_stats(proc.pid)
        time.sleep(seconds)
        rss1, sw1 = proc_stats(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    return {"rss_kib": max(rss0, rss1), "wakeups_per_hour": (sw1 - sw0) * 3600 / seconds}


def bench_idle(folder: Path, seconds: float) -> dict:
    """On a desktop, so that `kindnudge run` idles with its session-bus
    connection open, listening for buttons."""
    desktop = Desktop(folder / "idle-desktop").start()
    env = {
        **os.environ,
        **desktop.env,
        "XDG_STATE_HOME": str(folder / "state"),
        "XDG_CONFIG_HOME": str(folder / "cfg"),
    }
    config = folder / "idle.yaml"
    later = datetime.now(UTC) + timedelta(hours=12)
    config.write_text(f"timezone: UTC\nquiet_hours: []\nschedule:\n  - at: '{later:%H:%M}'\n")
    try:
        return {
            "kindnudge run": idle([KINDNUDGE, "run"], {**env, "KINDNUDGE_CONFIG": str(config)}, seconds),
            "bare BlockingScheduler, one job": idle([PYTHON, "-c", BARE_SCHEDULER], env, seconds),
            "python time.sleep": idle([PYTHON, "-c", "import time; time.sleep(10**6)"], env, seconds),
        }
    finally:
        desktop.stop()


def bench_firing(folder: Path, firings: int, backend: str) -> dict:
    """Lateness from each planned moment to dunst's script hook receiving it."""
    folder = folder / backend
    desktop = Desktop(folder / "desktop").start()
    clock = faketime.FakeClock(folder / "faketime")
    env = {
        **os.environ,
        **desktop.env,
        **clock.env,
        "XDG_STATE_HOME": str(folder / "fstate"),
        "KINDNUDGE_HEARTBEAT": "0.05",
        "KINDNUDGE_CONFIG": str(folder / "every-minute.yaml"),
    }
    Path(env["KINDNUDGE_CONFIG"]).write_text(
        "timezone: UTC\nquiet_hours: []\nschedule:\n  - cron: '* * * * *'\n"
    )
    try:
        baseline = []
        for i in range(firings):  # the hook's own delay: a bare notify-send at a known moment
            sent = time.time()
            subprocess.run(
                ["notify-send", "-t", "1", "--", "baseline", str(i)], env={**os.environ, **desktop.env}
            )
            baseline.append(desktop.received(i + 1)[-1]["received"] - sent)
        base_count = len(desktop.received())
        offset = 0.0
        daemon = subprocess.Popen([KINDNUDGE, "run"], env=env, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        late = []
        for i in range(firings):
            now = time.time()
            fake_now = now + offset
            boundary = (fake_now // 60 + 1) * 60
            offset += boundary - fake_now - 1.0  # the next minute comes 1 s from now
            clock.set(offset)
            due_real = boundary - offset
            got = desktop.received(base_count + i + 1, wait_s=10)
            late.append(got[-1]["received"] - due_real)
            time.sleep(0.2)
        rss_after, _ = proc_stats(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
    finally:
        desktop.stop()
    hook = statistics.median(baseline)
    return {
        "firings": firings,
        "hook_delay_median_s": hook,
        "lateness_median_s": statistics.median(late),
        "lateness_max_s": max(late),
        "lateness_p95_s": statistics.quantiles(late, n=20)[-1] if len(late) >= 2 else max(late),
        "lateness_minus_hook_median_s": statistics.median(late) - hook,
        "lateness_median_vs_notify_send": statistics.median(late) / hook,
        "daemon_rss_kib_after_firings": rss_after,
    }


def installed_like(folder: Path, **extra: str) -> dict[str, str]:
    """An environment in which bytecode is cached, as after a real `pip install`
    (an editable install under PYTHONDONTWRITEBYTECODE recompiles every run)."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(folder / "pycache"), **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def after_setup(folder: Path) -> dict[str, str]:
    """A home as every user has one after `setup`: its config and one own message."""
    env = installed_like(folder, XDG_STATE_HOME=str(folder / "sstate"), XDG_CONFIG_HOME=str(folder / "scfg"))
    for args in (["setup", "--yes", "--no-test"], ["add", "You are allowed to rest.", "--kind", "self-care"]):
        subprocess.run([KINDNUDGE, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    return env


def running_daemon(folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """`kindnudge run` after `setup`, showing on the console (the delivery itself
    is the firing part's), and the environment in which `now` reaches it."""
    env = after_setup(folder / "handed")
    runtime = folder / "handed" / "runtime"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    config = Path(env["XDG_CONFIG_HOME"]) / "kindnudge" / "config.yaml"
    config.write_text(config.read_text() + "\nnotification:\n  backend: console\n")
    daemon = subprocess.Popen(
        [PYTHON, KINDNUDGE, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while not (runtime / "kindnudge" / "daemon.sock").exists():
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise RuntimeError("kindnudge run did not start listening")
        time.sleep(0.05)
    return daemon, env


def bench_cli(folder: Path, repeats: int = 15) -> dict:
    """The installed `kindnudge` script, run by the venv's own interpreter."""
    fresh = installed_like(folder, XDG_STATE_HOME=str(folder / "cstate"), XDG_CONFIG_HOME=str(folder / "cfg"))
    setup = after_setup(folder)
    daemon, handed = running_daemon(folder)
    commands = {  # name: (command, environment)
        "bare interpreter start": ([PYTHON, "-c", "pass"], fresh),
        "kindnudge --version": ([PYTHON, KINDNUDGE, "--version"], fresh),
        "kindnudge now --dry-run, no config": ([PYTHON, KINDNUDGE, "now", "--dry-run"], fresh),
        "kindnudge now --dry-run, after setup": ([PYTHON, KINDNUDGE, "now", "--dry-run"], setup),
        "kindnudge next -n 10, after setup": ([PYTHON, KINDNUDGE, "next", "-n", "10"], setup),
        HANDED: ([PYTHON, KINDNUDGE, "now", "--dry-run"], handed),
        "kindnudge now, shown by the daemon": ([PYTHON, KINDNUDGE, "now"], handed),
    }
    try:
        return _timed(commands, folder, repeats)
    finally:
        daemon.terminate()
        daemon.wait(5)
        log = (Path(handed["XDG_STATE_HOME"]) / "kindnudge" / "kindnudge.log").read_text()
        assert log.count("asked for by `kindnudge now`") >= 2 * (repeats + 1), (
            "every `now` went to the daemon"
        )


def _timed(commands: dict[str, tuple[list[str], dict[str, str]]], folder: Path, repeats: int) -> dict:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command, env in commands.values():  # warm-up: bytecode and the caches get written
        subprocess.run(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, check=True)
    for _ in range(repeats):  # interleaved, so a noisy moment hits every command alike
        for name, (command, env) in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    bare = statistics.median(times.pop("bare interpreter start"))
    result: dict = {"bare interpreter start_s": bare}
    for name, samples in times.items():
        seconds = statistics.median(samples)
        result[name] = {"seconds": seconds, "ratio": seconds / bare}
    return result


def bench_scale(folder: Path) -> dict:
    """A 100,000-message pack, a 1,000,000-row history, a 1,000-nudge plan."""
    from random import Random

    import yaml

    from kindnudge.library import load_library
    from kindnudge.picker import pick
    from kindnudge.state import HistoryEntry, State

    pack = folder / "big.yaml"
    with open(pack, "w", encoding="utf-8") as out:
        out.write("messages:\n")
        for i in range(100_000):
            kind = "reframe" if i % 2 else "self-care"
            text = f"You are doing better than you think, number {i}."
            out.write(f"  - id: m{i}\n    kind: {kind}\n    text: {text}\n")
    gc.disable()  # PyYAML at its fastest: C parser, no collector (kindnudge pauses it too)
    started = time.perf_counter()
    yaml.load(pack.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # the floor for a first load
    csafe_s = time.perf_counter() - started
    gc.enable()
    cache = folder / "scale-cache"
    started = time.perf_counter()
    library = load_library([(pack, False)], cache)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    library = load_library([(pack, False)], cache)  # checked before: read from the cache
    load_s = time.perf_counter() - started
    candidates = library.of_kind("reframe")
    seen = {m.id for m in candidates[::2]}
    started = time.perf_counter()
    pick(candidates, seen, None, Random(1))
    pick_s = time.perf_counter() - started

    state_home = folder / "scale-state"
    db = state_home / "kindnudge" / "state.sqlite3"
    with State(db) as state, state.transaction():
        row = HistoryEntry(datetime.now(UTC), "r", "reframe", "m1", "text", "delivered", "by dbus")
        state.db.executemany(
            "INSERT INTO history (at, rule, kind, message_id, text, status, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((row.at.isoformat(), row.rule, row.kind, f"m{i}", row.text, row.status, row.reason)
             for i in range(1_000_000)),
        )  # fmt: skip
    with State(db) as state:
        started = time.perf_counter()
        state.history(20)
        query_s = time.perf_counter() - started
    env = installed_like(folder, XDG_STATE_HOME=str(state_home), XDG_CONFIG_HOME=str(folder / "scale-cfg"))

    def timed(*args: str) -> float:
        started = time.perf_counter()
        subprocess.run([PYTHON, KINDNUDGE, *args], env=env, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started

    return {
        "pack_100k_first_load_s": cold_s,
        "pack_100k_pyyaml_csafeloader_alone_s": csafe_s,
        "pack_100k_load_s": load_s,
        "pack_100k_pick_s": pick_s,
        "history_1m_query_s": query_s,
        "history_1m_cli_s": timed("history", "-n", "20"),
        "next_1000_cli_s": timed("next", "-n", "1000"),
    }


NOW = "kindnudge now --dry-run"
HANDED = "kindnudge now --dry-run, handed to the daemon"
TARGETS = [  # (what, part, measured value from that part's results, limit)
    ("idle RSS vs bare scheduler", "idle", lambda r: r["rss_ratio_vs_bare_scheduler"], 1.25),
    ("idle wake-ups per hour", "idle", lambda r: r["kindnudge run"]["wakeups_per_hour"], 60),
    ("firing lateness max, s (dbus)", "firing", lambda r: r["dbus"]["lateness_max_s"], 1.0),
    (
        "firing median vs bare notify-send (dbus)",
        "firing",
        lambda r: r["dbus"]["lateness_median_vs_notify_send"],
        1.0,
    ),
    ("--version vs bare interpreter", "cli", lambda r: r["kindnudge --version"]["ratio"], 2.0),
    ("now --dry-run vs bare, no config", "cli", lambda r: r[f"{NOW}, no config"]["ratio"], 4.0),
    ("now --dry-run vs bare, after setup", "cli", lambda r: r[f"{NOW}, after setup"]["ratio"], 4.0),
    ("now handed to the daemon vs bare", "cli", lambda r: r[HANDED]["ratio"], 2.0),
    ("100k pack load (checked before), s", "scale", lambda r: r["pack_100k_load_s"], 0.5),
    ("1M history query, s", "scale", lambda r: r["history_1m_query_s"], 0.05),
]
PARTS = ("idle", "firing", "cli", "scale")


def measure(parts: list[str], folder: Path, args: argparse.Namespace) -> dict:
    results: dict = {}
    if "idle" in parts:
        results["idle"] = idle_part = bench_idle(folder, args.idle_seconds)
        base, ours = idle_part["bare BlockingScheduler, one job"], idle_part["kindnudge run"]
        idle_part["rss_ratio_vs_bare_scheduler"] = ours["rss_kib"] / base["rss_kib"]
    if "firing" in parts:
        results["firing"] = {b: bench_firing(folder, args.firings, b) for b in ("dbus", "plyer")}
        if "idle" in results:
            base = results["idle"]["bare BlockingScheduler, one job"]
            for row in results["firing"].values():
                row["rss_ratio_after_firings_vs_bare_scheduler"] = (
                    row["daemon_rss_kib_after_firings"] / base["rss_kib"]
                )
    if "cli" in parts:
        results["cli"] = bench_cli(folder)
    if "scale" in parts:
        results["scale"] = bench_scale(folder)
    return results


def report(results: dict, args: argparse.Namespace) -> None:
    if "idle" in results:
        print(f"idle over {args.idle_seconds:g}s:")
        for name, row in results["idle"].items():
            if isinstance(row, dict):
                mib, wakeups = row["rss_kib"] / 1024, row["wakeups_per_hour"]
                print(f"  {name:34} RSS {mib:6.1f} MiB   wake-ups/h {wakeups:7.1f}")
        ratio = results["idle"]["rss_ratio_vs_bare_scheduler"]
        print(f"  RSS ratio, kindnudge / bare scheduler: {ratio:.2f}")
    for name, f in results.get("firing", {}).items():
        median, worst, hook = (
            f[k] * 1000 for k in ("lateness_median_s", "lateness_max_s", "hook_delay_median_s")
        )
        print(f"firing via {name} ({f['firings']}x): median {median:.0f} ms, max {worst:.0f} ms late")
        print(f"  a bare notify-send takes {hook:.0f} ms to reach the same hook in the same run")
        if "rss_ratio_after_firings_vs_bare_scheduler" in f:
            print(f"  RSS ratio after those firings: {f['rss_ratio_after_firings_vs_bare_scheduler']:.2f}")
    if "cli" in results:
        print(f"cli (bare interpreter {results['cli']['bare interpreter start_s'] * 1000:.1f} ms):")
        for name, row in results["cli"].items():
            if isinstance(row, dict):
                print(f"  {name:38} {row['seconds'] * 1000:6.1f} ms   {row['ratio']:.2f}x")
    if "scale" in results:
        print("scale:")
        for name, seconds in results["scale"].items():
            print(f"  {name:28} {seconds * 1000:8.1f} ms")
    print("targets:")
    results["targets"] = {}
    for what, part, measured, limit in TARGETS:
        if part in results:
            value = measured(results[part])
            results["targets"][what] = {"value": value, "limit": limit}
            print(f"  {what:36} {value:8.3f}  (at most {limit:g})  {'met' if value <= limit else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--firings", type=int, default=20)
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable); default: all"
    )
    args = parser.parse_args()
    parts = args.only or list(PARTS)
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(parts, Path(tmp), args)
    report(results, args)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = "latest.json" if parts == list(PARTS) else f"latest-{'-'.join(parts)}.json"
    (out / name).write_text(json.dumps(results, indent=2))
    print(f"written: {out / name}")


if __name__ == "__main__":
    main()
