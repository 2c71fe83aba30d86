"""Config: embedded defaults, every override, and mistakes reported where they are."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from kindnudge.config import SETTINGS, load_config
from kindnudge.errors import ConfigError

from conftest import run


def load(path, text):
    path.write_text(text)
    return load_config(path, required=True)


def test_no_file_means_the_documented_defaults(tmp_path):
    config = load_config(tmp_path / "absent.yaml", required=False)
    assert config.source is None
    assert config.quiet_hours == (time(22), time(7))
    assert config.catch_up == timedelta(hours=2)
    assert config.timeout == timedelta(seconds=20)
    assert config.kinds == ("reframe", "self-care")
    assert config.backend == "auto"
    assert [(r.name, r.at, r.kinds) for r in config.schedule] == [
        ("morning", (time(9),), ("reframe",)),
        ("evening", (time(20),), ("self-care",)),
    ]


def test_empty_file_means_defaults(tmp_path):
    assert load(tmp_path / "c.yaml", "# nothing yet\n").catch_up == timedelta(hours=2)


def test_a_full_config_is_read(tmp_path):
    (tmp_path / "mine.yaml").write_text("messages: []\n")
    config = load(
        tmp_path / "c.yaml",
        "timezone: Europe/Berlin\n"
        "quiet_hours: [22:30, 7:15]\n"
        "catch_up: 90m\n"
        "notification:\n"
        "  title: Be kind to yourself\n"
        "  timeout: 1m30s\n"
        "  backend: console\n"
        "content:\n"
        "  kinds: self-care\n"
        "  packs: [mine.yaml]\n",
    )
    assert config.timezone == "Europe/Berlin"
    assert config.quiet_hours == (time(22, 30), time(7, 15))
    assert config.catch_up == timedelta(minutes=90)
    assert config.title_for("reframe") == config.title_for("self-care") == "Be kind to yourself"
    assert config.timeout == timedelta(seconds=90)
    assert config.kinds == ("self-care",)
    assert config.packs[0].path == tmp_path / "mine.yaml"


def test_title_per_kind(tmp_path):
    config = load(tmp_path / "c.yaml", "notification:\n  title:\n    reframe: R\n    self-care: S\n")
    assert (config.title_for("reframe"), config.title_for("self-care")) == ("R", "S")


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("timzone: Europe/Berlin\n", "1:1", "unknown setting 'timzone'; did you mean 'timezone'?"),
        ("timezone: Mars/Olympus\n", "1:11", "unknown time zone 'Mars/Olympus'"),
        ("quiet_hours: [25:00, 07:00]\n", "1:15", "'25:00' is not a time of day"),
        ("quiet_hours: 22:00\n", "1:14", "takes two times"),
        ("quiet_hours: [930, 0700]\n", "1:15", 'write it in quotes, e.g. "09:30"'),
        ("catch_up: 2\n", "1:11", 'has no unit; write e.g. "2s" or "2m"'),
        ("catch_up: 99999999999d\n", "1:11", "catch_up takes 0 to 7d, got '99999999999d'"),
        ("catch_up: 7d1s\n", "1:11", "catch_up takes 0 to 7d, got '7d1s'"),
        ("catch_up: 8 days\n", "1:11", "catch_up takes 0 to 7d, got '8 days'"),  # words keep the limit
        ("catch_up: 1.5h\n", "1:11", "'1.5h' is not a duration: use whole numbers, e.g. 1h30m"),
        ("notification:\n  timeout: 1h1s\n", "2:12", "timeout takes 0 to 1h (0: until dismissed)"),
        ("timezone: " + "a/" * 3000 + "b\n", "1:11", "unknown time zone 'a/a/a/"),
        ("timezone: " + "x" * 5000 + "\n", "1:11", "unknown time zone 'xxx"),
        ("timezone: Europe\n", "1:11", "unknown time zone 'Europe'"),
        ("timezone: ../../etc/passwd\n", "1:11", "unknown time zone"),
        ("notification:\n  timeout: soon\n", "2:12", "'soon' is not a duration"),
        (
            "notification:\n  backend: carrier-pigeon\n",
            "2:12",
            "write one of: auto, dbus, plyer, osascript, windows, console",
        ),
        ("notification:\n  titel: x\n", "2:3", "did you mean 'title'?"),
        ("notification:\n  title:\n    reframe: R\n", "3:5", "no entry for self-care"),
        ("notification: loud\n", "1:15", "'notification' holds settings"),
        ("content:\n  kinds: [reframe, selfcare]\n", "2:20", "unknown kind 'selfcare'"),
        ("content:\n  kinds: []\n", "2:10", "name at least one kind"),
        ("content:\n  packs: [3]\n", "2:11", "expected the path of a pack file"),
        ("schedule: [9]\n", "1:12", "each rule is a mapping"),
        ("- just a list\n", "1:1", "a config file is a mapping"),
    ],
)
def test_mistakes_are_reported_at_their_place(tmp_path, text, where, words):
    path = tmp_path / "c.yaml"
    with pytest.raises(ConfigError) as error:
        load(path, text)
    assert str(error.value).startswith(f"{path}:{where}: ")
    assert words in str(error.value)


def test_the_longest_durations_and_zones_allowed_are_taken(tmp_path):
    config = load(
        tmp_path / "c.yaml",
        "timezone: America/Argentina/Buenos_Aires\ncatch_up: 7d\nnotification:\n  timeout: 1h\n",
    )
    assert (config.catch_up, config.timeout) == (timedelta(days=7), timedelta(hours=1))


def test_durations_may_be_written_in_words(tmp_path):
    config = load(tmp_path / "c.yaml", "catch_up: 1 hour 30 minutes\nnotification:\n  timeout: 45 seconds\n")
    assert (config.catch_up, config.timeout) == (timedelta(minutes=90), timedelta(seconds=45))


def test_check_refuses_a_timeout_the_desktop_cannot_take(config_file):
    """25 days passed `check` once, then every delivery failed on the D-Bus int32."""
    config_file.write_text("quiet_hours: []\nnotification: {timeout: 25d}\n")
    result = run("check")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"kindnudge: {config_file}:2:25: timeout takes 0 to 1h (0: until dismissed), got '25d'\n"
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_every_default_is_valid_input(setting, tmp_path):
    """Each default, written in a config by hand, passes that setting's parser
    and means exactly what having no file means."""
    assert setting.doc
    section, _, key = setting.key.rpartition(".")
    written = {section: {key: setting.default}} if section else {key: setting.default}
    config = load(tmp_path / "config.yaml", json.dumps(written))  # JSON is YAML
    assert config._replace(source=None) == load_config(tmp_path / "absent.yaml", required=False)


def test_check_on_broken_config_is_one_line_and_exit_2(config_file):
    config_file.write_text("notification:\n  timeout: 20\n")
    result = run("check")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f'kindnudge: {config_file}:2:12: 20 has no unit; write e.g. "20s" or "20m"\n'


def test_check_finds_config_through_xdg_config_home(config_file):
    config_file.write_text("content:\n  kinds: [reframe]\nnotification:\n  backend: console\n")
    result = run("check")
    assert result.returncode == 0
    assert f"config: {config_file}: ok" in result.stdout


def test_kindnudge_config_variable_and_flag_override(tmp_path, config_file):
    config_file.write_text("timezone: Europe/Berlin\n")
    other = tmp_path / "other.yaml"
    other.write_text("timezone: nowhere\n")
    via_env = run("check", env={"KINDNUDGE_CONFIG": str(other)})
    via_flag = run("--config", str(other), "check")
    via_flag_after = run("check", "--config", str(other))
    for result in (via_env, via_flag, via_flag_after):
        assert result.returncode == 2
        assert result.stderr.startswith(f"kindnudge: {other}:1:11: unknown time zone")


def test_a_named_config_that_is_missing_is_an_error(tmp_path):
    result = run("--config", str(tmp_path / "nope.yaml"), "check")
    assert result.returncode == 2
    assert result.stderr == f"kindnudge: {tmp_path / 'nope.yaml'}: no such file; check the path\n"


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("content:\n  favourite_weight: " + "9" * 5000 + "\n", "2:21", "a number 5,000 characters long"),
        ("schedule:\n  - {at: '09:00', name: 0x" + "f" * 5000 + "}\n", "2:25", "put it in quotes"),
        ("catch_up: 1." + "5" * 400 + "\n", "1:11", "a number 402 characters long"),
        ("timezone: UTC\x07\n", "1:14", "control character U+0007 is not allowed in a YAML file; remove it"),
        ("a: é\ntimezone: ééé\x00\n", "2:14", "control character U+0000 is not allowed"),
        ("catch_up: .nan\n", "1:11", 'catch_up takes a duration such as "20s" or "2h", got the number .nan'),
        ("catch_up: -.inf\n", "1:11", "got the number -.inf"),
        ("notification:\n  timeout: -5\n", "2:12", 'timeout takes a duration such as "20s" or "2h"'),
        ("content:\n  packs: ['~nosuchuser/x.yaml']\n", "2:11", "there is no user called 'nosuchuser' here"),
        (
            'schedule:\n  - {name: "evil\\e]0;pwned\\a\\e[2J", at: "09:00"}\n',
            "2:12",
            "a rule's name has a control character (U+001B) at character 5",
        ),
    ],
)
def test_check_names_the_place_of_an_unusable_number_or_character(config_file, text, where, words):
    config_file.write_text(text, encoding="utf-8")
    result = run("check")
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.startswith(f"kindnudge: {config_file}:{where}: "), result.stderr
    assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_config_path_naming_no_user_says_so(tmp_path):
    words = "~nosuchuser/c.yaml: there is no user called 'nosuchuser' here, so ~nosuchuser is no folder"
    for result in (
        run("--config", "~nosuchuser/c.yaml", "check"),
        run("check", env={"KINDNUDGE_CONFIG": "~nosuchuser/c.yaml"}),
    ):
        assert (result.returncode, result.stderr) == (
            2,
            f"kindnudge: {words}; write the folder out in full\n",
        )


def test_a_config_in_a_folder_one_may_not_open_is_reported_not_ignored(config_file):
    from test_state import without_root_override

    config_file.write_text("timezone: Mars/Olympus\n")
    config_file.parent.chmod(0o000)
    try:
        for command in (["check"], ["status"], ["now", "--dry-run"]):
            result = run_as_user(without_root_override(), *command)
            assert result.returncode == 2, (command, result.stdout, result.stderr)
            assert result.stderr == (
                f"kindnudge: {config_file}: you may not open its folder {config_file.parent}"
                " (permission denied); check who owns it (ls -ld)\n"
            )
    finally:
        config_file.parent.chmod(0o700)


def run_as_user(prefix: list[str], *args: str):
    import subprocess

    from conftest import KINDNUDGE

    return subprocess.run([*prefix, KINDNUDGE, *args], capture_output=True, text=True, timeout=30)
