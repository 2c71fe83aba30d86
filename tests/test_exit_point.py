"""The one exit point: whatever happens, one line and an honest exit status,
never a traceback; not even when the output is closed, full or a broken pipe."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kindnudge.commands import COMMANDS

from conftest import KINDNUDGE, run

FULL = "kindnudge: cannot write the output: the disk is full; free some space and try again\n"
OWN_ID = "my-a-line-of-my-own"

# Every command, with arguments that do no harm in a test's own home.
HARMLESS = {
    "setup": ["setup", "--yes", "--no-test"],
    "now": ["now", "--dry-run"],
    "list": ["list"],
    "check": ["check"],
    "next": ["next"],
    "run": ["run"],  # started, then stopped with SIGTERM
    "pause": ["pause", "1h"],
    "resume": ["resume"],
    "status": ["status"],
    "history": ["history"],
    "last": ["last"],
    "add": ["add", "A line of my own.", "--kind", "reframe"],
    "remove": ["remove", OWN_ID],  # after that `add`
    "favourite": ["favourite", "clarity"],
    "hide": ["hide", "clarity"],
    "autostart": ["autostart", "status"],
    "config": ["config", "path"],
    "journey": ["journey"],
    "forget": ["forget", "--yes"],
}
OUTPUTS = ("closed", "full", "broken pipe")


def test_the_guard_drives_every_command():
    assert set(HARMLESS) == {command.name for command in COMMANDS}


def launch(args: list[str], output: str, stderr: int | object, **env: str) -> subprocess.Popen:
    """Start `kindnudge ARGS` with its standard output broken in the way named."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "KINDNUDGE_DEBUG")}
    environment.update(env, **({"PYTHONUNBUFFERED": "1"} if output == "full, unbuffered" else {}))
    command = [KINDNUDGE, *args]
    if output == "closed":  # as a shell does it for `kindnudge list >&-`
        return subprocess.Popen(["sh", "-c", 'exec "$@" >&-', "sh", *command], stderr=stderr, env=environment)
    if output == "broken pipe":  # the reader has already left, as in `kindnudge list | true`
        reader, stdout = os.pipe()
        os.close(reader)
    else:
        stdout = os.open("/dev/full", os.O_WRONLY)
    try:
        return subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environment)
    finally:
        os.close(stdout)


def stop_daemon(proc: subprocess.Popen, state: Path) -> None:
    log = state / "kindnudge" / "kindnudge.log"
    deadline = time.monotonic() + 10
    while f"started (pid {proc.pid})" not in (log.read_text() if log.exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, "the daemon did not start"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)


@pytest.mark.reliability  # every command three times over: about 50 processes
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("name", HARMLESS)
def test_no_command_tracebacks_when_its_output_is_broken(name, output, home, config_file):
    if name == "remove":
        assert run(*HARMLESS["add"]).returncode == 0
    if name == "check":  # a way to show notifications, or check rightly ends with status 1
        config_file.write_text("notification:\n  backend: console\n")
    errors = home / "stderr.txt"
    with open(errors, "w") as err:  # a file, not a pipe: the daemon must not stall on it
        proc = launch(HARMLESS[name], output, err)
        if name == "run":
            stop_daemon(proc, home / "state")
        status = proc.wait(20)
    said = errors.read_text()
    assert "Traceback" not in said and "Exception ignored" not in said, said
    if name == "run":  # it prints nothing on stdout; its log lines go to stderr
        assert status == 0, said
    elif output == "closed" or output == "broken pipe":
        assert (status, said) == (0, "")
    else:
        assert (status, said) == (1, FULL)


@pytest.mark.parametrize("output", ["full", "full, unbuffered"])
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["list"], ["pause", "1h"]])
def test_into_a_full_disk_buffered_or_not_is_one_line(args, output, home):
    """Unbuffered (python -u, PYTHONUNBUFFERED), the disk refuses the first line."""
    errors = home / "stderr.txt"
    with open(errors, "w") as err:
        status = launch(args, output, err).wait(20)
    assert (status, errors.read_text()) == (1, FULL)


def test_a_long_listing_into_a_pipe_read_only_in_part_is_fine(config_file):
    """`kindnudge list | head -1`: the reader leaves while we still write."""
    result = subprocess.run(
        f"'{KINDNUDGE}' list | head -1", shell=True, capture_output=True, text=True, timeout=30
    )
    assert (result.stderr, result.stdout.count("\n")) == ("", 1)


def test_text_the_output_cannot_encode_is_escaped_not_an_error(config_file):
    assert run("add", "Ça va — bien ☀", "--kind", "reframe").returncode == 0
    result = run("list", env={"PYTHONIOENCODING": "ascii"})
    assert (result.returncode, result.stderr) == (0, "")
    assert "\\xc7a va \\u2014 bien \\u2600" in result.stdout


@pytest.mark.parametrize(
    "stdin", ["<&-", "</dev/null", "<<< $'\\xff\\xfe'"], ids=["closed", "empty", "not UTF-8"]
)
def test_prompts_meeting_the_end_of_input_or_bad_bytes_do_not_traceback(stdin, config_file):
    strict = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # as under en_US.UTF-8
    command = ["bash", "-c", f"'{KINDNUDGE}' setup {stdin}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, env=strict)
    assert result.returncode not in (0, 70) and "Traceback" not in result.stderr
    assert not config_file.exists()


def test_an_error_with_a_line_break_stays_one_line(config_file):
    result = run("hide", "no\nsuch")
    assert (result.returncode, result.stderr) == (
        2,
        "kindnudge: there is no message 'no\\nsuch'; `kindnudge list` shows them all\n",
    )
    result = run("next", "-n", "1\n2")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "'1\\n2'" in result.stderr


# What no command raises today, put in place of `status` to see the exit point at work.
PROBE = """
import sys
import kindnudge.commands as commands
from kindnudge import cli

def handler(_args):
    print("half of a report")
    raise {raise_}

commands.COMMANDS = tuple(c._replace(handler=handler) if c.name == "status" else c for c in commands.COMMANDS)
sys.argv = ["kindnudge", "status"]
cli.entry()
"""


def probe(raise_: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KINDNUDGE_DEBUG"}
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(raise_=raise_)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**environment, **env},
    )


def test_a_bug_is_one_line_naming_the_log_which_holds_the_traceback(home):
    log = home / "state" / "kindnudge" / "kindnudge.log"
    result = probe("RuntimeError('boom')")
    assert (result.returncode, result.stdout, result.stderr) == (
        70,
        "half of a report\n",
        f"kindnudge: internal error: RuntimeError('boom'); the details are in {log}; please report it\n",
    )
    assert "Traceback" in log.read_text() and "RuntimeError: boom" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert probe("RuntimeError('again')").returncode == 70
    assert "RuntimeError: boom" in log.read_text() and "RuntimeError: again" in log.read_text()


def test_a_bug_whose_log_is_a_planted_link_leaves_the_target_alone(home):
    folder = home / "state" / "kindnudge"
    folder.mkdir(parents=True, mode=0o700)
    target = home / "precious.txt"
    target.write_text("mine\n")
    (folder / "kindnudge.log").symlink_to(target)
    result = probe("RuntimeError('boom')")
    assert result.returncode == 70 and result.stderr.count("\n") == 1
    assert f"could not write the details to {folder / 'kindnudge.log'}" in result.stderr
    assert "KINDNUDGE_DEBUG=1" in result.stderr
    assert target.read_text() == "mine\n"


def test_a_bug_shows_its_traceback_when_debugging():
    result = probe("RuntimeError('boom')", KINDNUDGE_DEBUG="1")
    assert result.returncode == 1 and "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr


@pytest.mark.parametrize(
    ("raise_", "status", "said"),
    [
        (
            "PermissionError(13, 'Permission denied', '/srv/elsewhere')",
            1,
            "kindnudge: /srv/elsewhere: cannot go on: permission denied; "
            "check who owns it (ls -l) and that you may write there\n",
        ),
        (
            "__import__('sqlite3').OperationalError('database is locked')",
            1,
            "kindnudge: {state}: kindnudge's state is busy: another kindnudge or another program holds it;"
            " try again in a moment\n",
        ),
        (
            "__import__('sqlite3').DatabaseError('file is not a database')",
            1,
            "kindnudge: {state}: cannot use kindnudge's state: file is not a database\n",
        ),
        (
            "EOFError()",
            1,
            "kindnudge: the input ended (Ctrl+D, or no terminal) before an answer; stopped\n",
        ),
        ("KeyboardInterrupt()", 130, ""),
    ],
)
def test_what_escapes_a_command_is_one_line_with_its_status(home, raise_, status, said):
    result = probe(raise_)
    state = home / "state" / "kindnudge" / "state.sqlite3"
    assert (result.returncode, result.stderr) == (status, said.format(state=state))
    assert result.stdout == "half of a report\n"
