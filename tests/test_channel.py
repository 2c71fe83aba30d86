"""`kindnudge now` handed to the running daemon over its private socket, and
shown by the command itself only when no daemon answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from kindnudge import channel

from conftest import KINDNUDGE, run
from running import history


def sock_path() -> Path:
    return Path(os.environ["XDG_RUNTIME_DIR"]) / "kindnudge" / "daemon.sock"


class NotifyCalls:
    """Every Notify call on the test bus, as dbus-monitor sees it: what each asked for."""

    def __init__(self, folder: Path) -> None:
        self.out = folder / "monitor.txt"
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen(
                ["dbus-monitor", "--session", "type='method_call',member='Notify'"], stdout=out, stderr=out
            )
        deadline = time.monotonic() + 5
        while "NameLost" not in self.out.read_text():  # it has become a monitor
            assert time.monotonic() < deadline, self.out.read_text()
            time.sleep(0.01)

    def calls(self) -> list[dict]:
        """[{summary, body, actions}] of each Notify so far."""
        self.proc.terminate()
        self.proc.wait(5)
        found, lines = [], iter(self.out.read_text().splitlines())
        for line in lines:
            if "member=Notify" in line:
                strings = [next(lines).strip() for _ in range(6)]  # app, id, icon, summary, body, "array ["
                actions = []
                for item in lines:
                    if item.strip() == "]":
                        break
                    actions.append(json.loads(item.strip().removeprefix("string ")))
                found.append({"summary": json.loads(strings[3][7:]), "actions": actions})
        return found


def test_now_with_the_daemon_running_is_shown_by_the_daemon(desktop, config_file, daemons, tmp_path):
    daemon = daemons()
    result = run("now", "--kind", "reframe")
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    assert result.stdout == f"{got['summary']}\n{got['body']}\n"
    assert result.stderr == "", "no hint: the daemon showed it"
    (row,) = history()
    assert (row["status"], row["rule"], row["text"]) == ("delivered", None, got["body"])
    daemon.wait_for(f"delivered {row['id']}, asked for by `kindnudge now`")


def test_on_a_journey_the_daemon_draws_from_today_s_stage(desktop, config_file, daemons):
    assert run("journey", "start").returncode == 0
    stage_of = {m["text"]: m["stage"] for m in json.loads(run("list", "--json").stdout)}
    daemons().wait_for("started (pid")
    for _ in range(3):
        result = run("now", "--dry-run")
        assert result.returncode == 0, result.stderr
        _title, text, path = result.stdout.splitlines()
        assert stage_of[text] == "first-days"
        assert path == "(from your path: day 1 of 21: getting through the first days)"


def test_without_a_daemon_now_shows_it_itself_without_buttons_and_says_how_to_get_them(desktop, tmp_path):
    monitor = NotifyCalls(tmp_path)
    result = run("now")
    assert result.returncode == 0, result.stderr
    (got,) = desktop.received(1)
    assert result.stdout == f"{got['summary']}\n{got['body']}\n"
    assert result.stderr.count("\n") == 1
    assert "Shown without buttons, as kindnudge is not running" in result.stderr
    assert "`kindnudge run`" in result.stderr
    (call,) = monitor.calls()
    assert call == {"summary": got["summary"], "actions": []}
    assert not sock_path().exists()


def test_a_hung_daemon_times_out_with_one_line_and_nothing_is_shown(desktop, config_file, daemons):
    daemon = daemons()
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        result = run("now", env={"KINDNUDGE_NOW_TIMEOUT": "0.5"})
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"kindnudge: the running kindnudge (pid {daemon.proc.pid}) did not answer within 0.5 s,"
        f" so this command showed nothing; if it stays like this, restart it: kill {daemon.proc.pid},"
        " then kindnudge run\n"
    )
    daemon.wait_for("gave up waiting before it was answered; nothing shown for it")
    assert desktop.received() == [] and history() == [], "neither the command nor the daemon showed it"
    assert run("now").returncode == 0, "the daemon, woken, takes the next one"
    assert len(desktop.received(1)) == 1


def test_a_test_wait_cannot_make_now_wait_longer_than_its_three_seconds(desktop, config_file, daemons):
    daemon = daemons()
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        result = run("now", env={"KINDNUDGE_NOW_TIMEOUT": "1e308"}, timeout=20)
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    assert result.returncode == 1
    assert f"the running kindnudge (pid {daemon.proc.pid}) did not answer within 3 s" in result.stderr


def test_garbage_on_the_socket_gets_an_error_reply_and_the_daemon_lives_on(config_file, daemons):
    daemon = daemons()
    request = {"kindnudge": 1, "ask": "now", "kind": None, "dry_run": True, "config": str(config_file)}
    garbage = [
        b"hello\n",
        b"\xff\xfe\x00\n",
        b"[1, 2]\n",
        b'{"kindnudge": 99, "ask": "now"}\n',
        b'{"kindnudge": 1, "ask": "rm -rf"}\n',
        json.dumps({**request, "kind": "sorrow"}).encode() + b"\n",
        json.dumps({**request, "dry_run": "yes"}).encode() + b"\n",
        json.dumps({**request, "config": ["a"]}).encode() + b"\n",
        b"x" * (channel.MAX_LINE + 10),
        b'{"kindnudge": 1, "deep": '
        + b"[" * 60_000
        + b"\n",  # under the size cap, past Python's nesting limit
    ]
    for data in garbage:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(sock_path()))
            client.sendall(data)
            reply = json.loads(client.makefile().readline())
        assert reply["kindnudge"] == 1 and reply["shown"] is False and reply["exit"] == 2, data[:40]
    for rude in (b"", b'{"kindnudge": 1'):  # leaves at once; says half and goes silent
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(sock_path()))
            client.sendall(rude)
    assert daemon.proc.poll() is None
    result = run("now", "--dry-run")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 2, result.stderr
    daemon.wait_for("asked for by `kindnudge now`")
    assert history() == [], "a dry run shows nothing, so it records nothing"


def test_a_daemon_reading_another_config_is_not_asked(desktop, config_file, daemons, tmp_path):
    daemons()
    other = tmp_path / "other.yaml"
    other.write_text("notification:\n  title: From the other file\n")
    result = run("--config", str(other), "now")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("From the other file\n")
    assert f"the running kindnudge reads {config_file}, not this config" in result.stderr


def test_now_through_the_daemon_says_it_is_paused_and_obeys_kind(desktop, config_file, daemons):
    daemon = daemons()
    assert run("pause", "2h").returncode == 0
    result = run("now", "--kind=self-care")  # not the plain form: argparse's path asks the daemon too
    assert result.returncode == 0, result.stderr
    paused, title, _text = result.stdout.splitlines()
    assert paused.startswith(("Paused until today ", "Paused until tomorrow ")) and paused.endswith(
        "; showing one anyway because you asked."
    )
    assert title == "A moment for you"
    daemon.wait_for("asked for by `kindnudge now`")


@pytest.mark.parametrize("planted", ["symlink", "mode", "owner", "folder mode"])
def test_a_socket_that_may_not_be_ours_is_refused_with_one_line(planted, tmp_path, monkeypatch):
    """Whoever listens there would hear the request; nothing is sent to it, and
    nothing is shown instead, since the machine needs a look."""
    folder = sock_path().parent
    folder.mkdir(mode=0o700)
    decoy = tmp_path / "decoy.sock"
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(decoy if planted == "symlink" else sock_path()))
    listening.listen(1)
    listening.setblocking(False)
    target = sock_path()
    if planted == "symlink":
        sock_path().symlink_to(decoy)
    elif planted == "mode":
        os.chmod(sock_path(), 0o666)
    elif planted == "owner":
        os.chown(sock_path(), 12345, 12345)
    else:
        os.chmod(folder, 0o755)
        target = folder
    result = run("now")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert result.stderr.startswith(f"kindnudge: {target}: not kindnudge's own ")
    why = {
        "symlink": "a symbolic link",
        "mode": "mode 0666",
        "owner": "uid 12345",
        "folder mode": "mode 0755",
    }
    assert why[planted] in result.stderr
    with pytest.raises(BlockingIOError):
        listening.accept()  # nobody called
    listening.close()


def test_the_daemon_refuses_a_planted_socket_and_runs_on(config_file, daemons, tmp_path):
    sock_path().parent.mkdir(mode=0o700)
    sock_path().symlink_to(tmp_path / "elsewhere.sock")
    daemon = daemons()
    assert (
        f"ERROR not taking `kindnudge now` requests: {sock_path()}: cannot listen" in daemon.log.read_text()
    )
    assert sock_path().is_symlink()
    result = run("now", "--dry-run")
    assert result.returncode == 1 and "a symbolic link" in result.stderr


def test_a_socket_left_by_a_killed_daemon_is_cleared(config_file, daemons):
    first = daemons()
    first.proc.kill()
    first.proc.wait()
    assert sock_path().exists()
    result = run("now", "--dry-run")
    assert result.returncode == 0, "nobody answers the connect: shown by the command"
    second = daemons()
    assert run("now", "--dry-run").returncode == 0
    second.wait_for("asked for by `kindnudge now`")
    second.stop()
    assert not sock_path().exists()


@pytest.mark.parametrize(
    "request_",
    [
        {"kindnudge": 1, "ask": "now", "dry_run": False, "config": "/c.yaml"},  # no kind
        {"kindnudge": 1, "ask": "now", "kind": None, "dry_run": False, "config": "/c\u0000.yaml"},
        {"kindnudge": 1, "ask": "now", "kind": None, "dry_run": False, "config": "/c\ud800.yaml"},
    ],
)
def test_a_request_with_a_missing_or_unusable_field_is_refused_as_a_request(request_):
    with pytest.raises(channel.BadRequest):
        channel.parse_request(json.dumps(request_))


def test_a_running_daemon_whose_socket_is_gone_is_not_said_to_be_stopped(desktop, config_file, daemons):
    daemon = daemons()
    daemon.wait_for("started (pid")
    sock_path().unlink()
    result = run("now")
    assert result.returncode == 0, result.stderr
    assert f"the running kindnudge (pid {daemon.proc.pid}) could not be reached" in result.stderr
    assert "not running" not in result.stderr


def test_many_nows_at_once_each_get_an_answer(desktop, config_file, daemons):
    daemons().wait_for("started (pid")
    callers = [subprocess.Popen([KINDNUDGE, "now", "--dry-run"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(12)]  # fmt: skip
    for caller in callers:
        _out, err = caller.communicate(timeout=60)
        assert caller.returncode == 0 and err == "", err
