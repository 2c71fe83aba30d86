"""Your own messages, favourites and hidden ones, and `config path|show|edit`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

import pexpect
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kindnudge import paths
from kindnudge.state import HistoryEntry, State

from conftest import KINDNUDGE, run


def listed(kind: str | None = None) -> list[dict]:
    return json.loads(run("list", "--json", *(["--kind", kind] if kind else [])).stdout)


def test_add_then_remove_an_own_message(config_file):
    result = run("add", "You are allowed to take up space.", "--kind", "reframe")
    assert result.stdout == "Added my-you-are-allowed-to-take: You are allowed to take up space.\n"
    mine = [m for m in listed() if m["pack"] == "my-messages"]
    text = "You are allowed to take up space."
    expected = {"id": "my-you-are-allowed-to-take", "kind": "reframe", "text": text, "section": None}
    assert mine == [{**expected, "pack": "my-messages", "mark": None, "stage": None}]
    assert (config_file.parent / "my-messages.yaml").exists()
    assert run("remove", "my-you-are-allowed-to-take").returncode == 0
    assert [m for m in listed() if m["pack"] == "my-messages"] == []


RULE_SELF_CARE = "schedule:\n  - {name: my nudges, at: '09:00', kind: self-care}\n"
ONLY_SELF_CARE = "content:\n  kinds: [self-care]\n"
WONT_COME = "so this one won't come until"


@pytest.mark.parametrize(
    ("config", "note"),
    [
        (  # as `setup` writes it when asked for self care only
            RULE_SELF_CARE + ONLY_SELF_CARE,
            "your config shows only self-care messages (content.kinds, and the kind: of each rule),"
            f" {WONT_COME} you choose reframe too; `kindnudge setup` asks which kinds",
        ),
        (
            "schedule:\n  - {at: '09:00', kind: any}\n" + ONLY_SELF_CARE,
            f"your config shows only self-care messages (content.kinds), {WONT_COME} you add reframe there",
        ),
        (
            RULE_SELF_CARE,
            "your config shows only self-care messages (the kind: of each rule),"
            f" {WONT_COME} you choose reframe too; `kindnudge setup` asks which kinds",
        ),
    ],
)
def test_an_own_message_that_would_never_come_is_added_and_both_add_and_check_say_so(
    config_file, config, note
):
    config_file.write_text(config + "notification:\n  backend: console\n")
    result = run("add", "I deserve someone who stays.", "--kind", "reframe")
    assert (result.returncode, result.stdout) == (
        0,
        f"Added my-i-deserve-someone-who-stays: I deserve someone who stays.\nnote: {note}\n",
    )
    result = run("check")
    assert result.returncode == 0, result.stderr
    warning = note.replace("this one", "your own reframe message")
    assert result.stdout.startswith(f"warning: {warning}\n")
    assert run("hide", "my-i-deserve-someone-who-stays").returncode == 0
    assert "warning" not in run("check").stdout, "a hidden message is not missed"


def test_no_note_when_a_rule_brings_that_kind(config_file):
    """The built-in morning rule asks for reframes by name, so content.kinds does not keep them out."""
    config_file.write_text(ONLY_SELF_CARE + "notification:\n  backend: console\n")
    result = run("add", "I deserve someone who stays.", "--kind", "reframe")
    assert result.stdout == "Added my-i-deserve-someone-who-stays: I deserve someone who stays.\n"
    assert "won't come" not in run("check").stdout
    config_file.write_text(RULE_SELF_CARE + "notification:\n  backend: console\n")
    result = run("add", "Drink a glass of water.", "--kind", "self-care")
    assert result.stdout == "Added my-drink-a-glass-of-water: Drink a glass of water.\n"


def test_a_message_typed_without_quotes_is_taken_whole(config_file):
    result = run("add", "You", "are", "enough.", "--kind", "self-care")
    assert (result.returncode, result.stdout) == (0, "Added my-you-are-enough: You are enough.\n")


ODD = 'He said: "it\'s over" # not a comment → 😀 ünïcode, [really] {no}: 019'

LAYOUTS = {
    "block, commented": (
        "# Words my friends gave me.\n"
        "title: Mine   # shown nowhere, just for me\n"
        "description: >\n  Things I need\n  to hear.\n"
        "messages:\n"
        "  # from Sam\n"
        "  - id: sam\n    kind: reframe\n    text: 'You did what you could: that is enough.'  # Sam\n"
        "\n"
        "  - id: walk\n    kind: self-care\n    section: Outside\n    text: |\n      Go for a walk.\n"
        "# more to come\n"
        "source: my notebook\n"
    ),
    "flow, one line": 'title: Mine\nmessages: [{id: sam, kind: reframe, text: "a: b"}]  # one line\n',
    "flow, a line each": (
        "messages: [\n  {id: sam, kind: reframe, text: x},  # first\n"
        "  {id: walk, kind: self-care, text: y}  # last\n]\n"
    ),
    "items as flow mappings": "messages:\n- {id: sam, kind: reframe, text: x}\n",
    "CRLF, no final newline": "title: Mine\r\nmessages:\r\n  - id: sam\r\n    kind: reframe\r\n    text: x",
    "empty list": "# nothing yet\nmessages: []  # add some\n",
    "tabs before comments": (
        "messages:\t# mine\n  - {id: sam, kind: reframe, text: x}\t# Sam\n"
        "  - id: walk \t# a walk\n    kind: self-care\n    text: y\t\n"
    ),
}


def mine() -> dict[str, str]:
    return {m["id"]: m["text"] for m in listed() if m["pack"] == "my-messages"}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("text", [ODD, "- starts with a dash, ends with #"])
def test_add_then_remove_leaves_my_messages_byte_for_byte(config_file, layout, text):
    pack = config_file.parent / "my-messages.yaml"
    original = LAYOUTS[layout].encode()
    pack.write_bytes(original)
    pack.chmod(0o640)
    before = mine()
    added = run("add", "--kind", "reframe", "--", text)
    assert added.returncode == 0 and added.stderr == ""
    (new_id,) = mine().keys() - before.keys()
    assert mine() == {**before, new_id: text}
    assert all(comment in pack.read_bytes() for comment in re.findall(rb"#.*", original))
    assert run("remove", new_id).returncode == 0
    assert pack.read_bytes() == original
    assert pack.stat().st_mode & 0o777 == 0o640


def test_remove_takes_the_lines_of_that_message_and_leaves_the_comments(config_file):
    config_file.write_text("notification: {backend: console}\n")  # so that `check` can say all is well
    pack = config_file.parent / "my-messages.yaml"
    pack.write_text(LAYOUTS["block, commented"])
    assert run("remove", "sam").stdout == "Removed sam: You did what you could: that is enough.\n"
    sam = "  - id: sam\n    kind: reframe\n    text: 'You did what you could: that is enough.'  # Sam\n"
    assert pack.read_text() == LAYOUTS["block, commented"].replace(sam, "")
    assert run("remove", "walk").returncode == 0
    assert pack.read_text().endswith("messages: []\n  # from Sam\n\n# more to come\nsource: my notebook\n")
    assert mine() == {} and run("check").returncode == 0


@pytest.mark.parametrize("start", ["", "# just a comment, no newline", "title: Mine\n", None])
def test_add_starts_the_list_in_a_file_with_no_messages_yet(config_file, start):
    config_file.write_text("notification: {backend: console}\n")  # so that `check` can say all is well
    pack = config_file.parent / "my-messages.yaml"
    if start is not None:
        pack.write_text(start)
    assert run("check").returncode == 0
    assert run("add", "--kind", "self-care", ODD).returncode == 0
    assert list(mine().values()) == [ODD]
    assert pack.read_text().startswith(start if start is not None else "# Your own kindnudge messages.")
    assert run("remove", next(iter(mine()))).returncode == 0
    assert mine() == {} and run("check").returncode == 0


def test_a_layout_it_cannot_edit_is_written_afresh_and_the_old_one_kept(config_file):
    pack = config_file.parent / "my-messages.yaml"
    original = "{title: Mine, messages: [{id: sam, kind: reframe, text: x}]}  # all on one line\n"
    pack.write_text(original)
    result = run("add", "--kind", "reframe", "Still here.")
    assert result.returncode == 0 and result.stdout == "Added my-still-here: Still here.\n"
    assert result.stderr == (
        "kindnudge: note: my-messages.yaml is laid out in a way kindnudge can't edit in place, so it was"
        f" written afresh without its comments; the old one is kept as {pack}.bak\n"
    )
    assert (config_file.parent / "my-messages.yaml.bak").read_text() == original
    assert list(mine()) == ["sam", "my-still-here"]
    assert "title: Mine\n" in pack.read_text()


def test_removing_a_message_whose_anchor_others_use_writes_afresh_as_the_readme_says(config_file):
    pack = config_file.parent / "my-messages.yaml"
    original = "messages:\n  - {id: a1, kind: &k reframe, text: x}\n  - {id: a2, kind: *k, text: y}\n"
    pack.write_text(original)
    result = run("remove", "a1")
    assert result.returncode == 0 and "written afresh without its comments" in result.stderr
    assert (config_file.parent / "my-messages.yaml.bak").read_text() == original
    assert mine() == {"a2": "y"}


def test_a_linked_my_messages_stays_a_link(tmp_path, config_file):
    target = tmp_path / "dotfiles" / "words.yaml"
    target.parent.mkdir()
    target.write_text(LAYOUTS["items as flow mappings"])
    (config_file.parent / "my-messages.yaml").symlink_to(target)
    assert run("add", "--kind", "reframe", "Still here.").returncode == 0
    assert (config_file.parent / "my-messages.yaml").is_symlink()
    new = "- {id: my-still-here, kind: reframe, text: Still here.}\n"
    assert target.read_text() == LAYOUTS["items as flow mappings"] + new


WORDS = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Zl", "Zp")), max_size=30)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: any(c.isalnum() for c in t))
)


def render(texts: list[str], style: str) -> str:
    """A my-messages.yaml as a person might write it, texts as JSON strings (valid YAML)."""
    items = [(f"m{i}", json.dumps(t, ensure_ascii=False)) for i, t in enumerate(texts)]
    block = {
        "block": "".join(f"  - id: {i}\n    kind: reframe\n    text: {t}  # {i}\n" for i, t in items),
        "indentless": "".join(f"- id: {i}\n  kind: reframe\n  text: {t}\n\n" for i, t in items),
        "flow items": "".join(f"  - {{id: {i}, kind: reframe, text: {t}}}\n" for i, t in items),
    }
    flow = [f"{{id: {i}, kind: reframe, text: {t}}}" for i, t in items]
    lists = {
        **{name: "\n" + lines for name, lines in block.items() if items},
        "flow": " [" + ", ".join(flow) + "]\n",
        "flow lines": " [\n" + "".join(f"  {f},  # {n}\n" for n, f in enumerate(flow)) + "]\n",
    }
    return "# mine\ntitle: Mine\nmessages:" + lists.get(style, " []\n") + "# the end\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(WORDS, max_size=4, unique_by=str.casefold),
    style=st.sampled_from(["block", "indentless", "flow items", "flow", "flow lines"]),
    new=WORDS,
)
def test_any_text_in_any_layout_survives_add_and_remove(tmp_path, texts, style, new):
    """The same as above through ownpack itself, for many more texts than commands allow."""
    from kindnudge import ownpack, yamlfile
    from kindnudge.library import Library, Message

    assume(new.casefold() not in {t.casefold() for t in texts})
    pack = tmp_path / "my-messages.yaml"
    pack.write_text(render(texts, style))
    library = Library(tuple(Message(f"m{i}", "reframe", t, None, "my-messages") for i, t in enumerate(texts)))
    added, backup = ownpack.add(pack, new, "self-care", library)
    got = yamlfile.plain(yamlfile.read(pack))
    assert [m["text"] for m in got["messages"]] == [*texts, new] and got["title"] == "Mine"
    assert backup is None and "# the end\n" in pack.read_text()
    ownpack.remove(pack, added.id, Library((*library.messages, added)))
    assert pack.read_text() == render(texts, style)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["add", "  you are ALLOWED to take up space. ", "--kind", "reframe"],
            "already there, as 'my-you-are",
        ),
        (["add", "x" * 201, "--kind", "self-care"], "201 characters; keep it to 200"),
        (["add", "   ", "--kind", "self-care"], "the message is empty"),
        (["add", "no kind"], "the following arguments are required: --kind"),
        (["remove", "redirection"], "comes with the reframes pack, not from `add`; to stop seeing it, use"),
        (["remove", "nope"], "there is no message 'nope'"),
        (["hide", "nope"], "there is no message 'nope'"),
        (["favourite", "last"], "nothing has been shown yet"),
    ],
)
def test_own_message_mistakes(config_file, args, words):
    run("add", "You are allowed to take up space.", "--kind", "reframe")
    result = run(*args)
    assert result.returncode == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_hidden_messages_never_come_and_last_means_the_last_one_shown(config_file):
    config_file.write_text("notification:\n  backend: console\n")
    reframes = [m["id"] for m in listed("reframe")]
    with State(paths.state_db()) as state:  # as `hide ID` does, without 26 commands
        for message_id in reframes[2:]:
            state.set_mark(message_id, "hidden")
    ids = {m["text"]: m["id"] for m in listed("reframe")}

    def now() -> str:
        """The id of the message `now` showed."""
        result = run("now", "--kind", "reframe")
        assert result.returncode == 0, result.stderr
        return ids[result.stdout.splitlines()[-1]]

    shown = [now() for _ in range(4)]
    assert sorted(shown) == sorted(reframes[:2] * 2)  # the two left, once each per round
    last = shown[-1]
    assert run("hide", "last").stdout == f"{last} will not be shown again.\n", "nor its words, here"
    remaining = ({*reframes[:2]} - {last}).pop()
    assert [now(), now()] == [remaining, remaining]
    assert run("hide", "--undo", last).stdout.startswith(f"{last} is no longer hidden")


def test_a_favourite_comes_favourite_weight_times_as_often(config_file):
    """`favourite` through the command, then 3000 nudges drawn as `now` and the
    daemon draw them (claim), through the state file, with the config's weight."""
    from random import Random

    from kindnudge.commands.common import load_file
    from kindnudge.nudge import claim

    config_file.write_text("content:\n  kinds: [reframe]\n  favourite_weight: 2\n")
    assert run("favourite", "clarity").returncode == 0
    config, library = load_file(config_file, True)
    counts: dict[str, int] = {}
    with State(paths.state_db()) as state, state.transaction():  # one commit for all
        for seed in range(3000):
            claimed = claim(library, config, ["reframe"], state, datetime.now(timezone.utc), Random(seed))
            state.settle(claimed.row, "delivered", None)
            counts[claimed.message.id] = counts.get(claimed.message.id, 0) + 1
    others = [n for i, n in counts.items() if i != "clarity"]
    assert len(others) == len(listed("reframe")) - 1  # every other one came too
    ratio = counts["clarity"] / (sum(others) / len(others))
    assert 1.7 < ratio < 2.3, ratio


def test_favourite_and_undo(config_file):
    assert run("favourite", "clarity").stdout.startswith("clarity will come more often")
    assert run("favourite", "--undo", "clarity").stdout.startswith("clarity is no longer a favourite: ")
    assert run("favourite", "--undo", "clarity").stdout == "clarity was not a favourite\n"


def test_list_shows_marks_and_a_hidden_message_can_be_found_again(config_file):
    assert run("favourite", "clarity").returncode == 0
    hidden = run("hide", "clarity").stdout.splitlines()
    assert hidden[1:] == ["It was a favourite; it no longer is."]
    assert run("favourite", "redirection").returncode == 0
    assert run("favourite", "--undo", "clarity").stdout == "clarity was not a favourite\n", "and stays hidden"

    marks = {m["id"]: m["mark"] for m in listed()}
    assert (marks["clarity"], marks["redirection"], marks["freedom"]) == ("hidden", "favourite", None)
    clarity = next(m for m in listed() if m["id"] == "clarity")
    table = {line.split()[0]: line.split(None, 2)[2] for line in run("list").stdout.splitlines()}
    assert table["redirection"].startswith("favourite Being pushed away")
    assert table["clarity"] == "hidden    (its text is not shown: `kindnudge list --hidden` shows it)"
    assert clarity["text"] not in run("list").stdout, "a hidden line is not read again by accident"
    header, row = run("list", "--hidden").stdout.splitlines()
    assert (header.split(), row.split(None, 3)) == (
        ["ID", "KIND", "MARK", "TEXT"],
        ["clarity", "reframe", "hidden", clarity["text"]],
    )
    assert [m["id"] for m in json.loads(run("list", "--favourites", "--json").stdout)] == ["redirection"]

    assert run("add", "A line that hurts.", "--kind", "reframe").returncode == 0
    assert run("hide", "my-a-line-that-hurts").returncode == 0
    assert run("remove", "my-a-line-that-hurts").returncode == 0
    gone = json.loads(run("list", "--hidden", "--json").stdout)[-1]
    assert gone == {"id": "my-a-line-that-hurts", "kind": None, "text": None, "section": None, "pack": None,
                    "mark": "hidden", "stage": None}  # fmt: skip
    assert run("list", "--hidden").stdout.splitlines()[-1].split(None, 3) == [
        "my-a-line-that-hurts", "-", "hidden", "(no longer among your messages)"
    ]  # fmt: skip
    assert run("favourite", "clarity").stdout.splitlines()[1] == "It was hidden; now it can be shown again."
    assert run("list", "--hidden", "--kind", "reframe").stdout == "you have not hidden any message\n"


def test_last_after_its_message_is_gone_is_refused_yet_its_mark_can_still_be_undone(config_file):
    pack = config_file.parent / "extra.yaml"
    pack.write_text("messages:\n  - id: gone-soon\n    kind: reframe\n    text: Here today.\n")
    config_file.write_text("content:\n  packs: [extra.yaml]\n")
    assert run("hide", "gone-soon").returncode == 0
    with State(paths.state_db()) as state, state.transaction():  # it was shown before it was hidden
        now = datetime.now(timezone.utc)
        state.record(HistoryEntry(now, "r", "reframe", "gone-soon", "Here today.", "delivered", None, now))
    config_file.write_text("content:\n  packs: []\n")  # the pack is dropped
    gone = (
        "kindnudge: the message shown last, 'gone-soon', is gone from your messages"
        " (removed, or its pack dropped)\n"
    )
    for mark in ("hide", "favourite"):
        result = run(mark, "last")
        assert (result.returncode, result.stderr) == (2, gone)
    result = run("hide", "--undo", "last")
    assert (result.returncode, result.stdout) == (
        0,
        "gone-soon is no longer hidden: (no longer among your messages)\n",
    )
    result = run("hide", "--undo", "gone-soon")  # no mark left, no message: nothing to undo
    assert result.returncode == 2
    assert result.stderr == "kindnudge: there is no message 'gone-soon'; `kindnudge list` shows them all\n"


def test_config_path_and_show(config_file):
    assert run("config", "path").stdout == f"{config_file} (not created yet; the built-in defaults apply)\n"
    config_file.write_text("catch_up: 30m\n")
    assert run("config", "path").stdout == f"{config_file}\n"
    shown = run("config", "show", env={"TZ": "Europe/Berlin"}).stdout
    assert (
        "\ncatch_up: 30m\n" in shown
        and "\n  timeout: 20s\n" in shown
        and "\nquiet_hours: ['22:00', '07:00']\n" in shown
        and "\ntimezone: Europe/Berlin  # the system's\n" in shown  # every setting in effect
    )
    ruled = run("config", "show", env={"TZ": "UTC+5"}).stdout  # a rule this file could not take
    assert "\ntimezone:  # the system's rule UTC+5, which is not a zone name\n" in ruled
    config_file.write_text("timezone: Asia/Tokyo\n")
    assert "\ntimezone: Asia/Tokyo\n" in run("config", "show", env={"TZ": "Europe/Berlin"}).stdout


EDITOR = """import sys, pathlib
path = pathlib.Path(sys.argv[1])
log = pathlib.Path(sys.argv[0]).with_suffix(".log")
seen = log.read_text() if log.exists() else ""
log.write_text(seen + "---\\n" + path.read_text())
path.write_text(sys.stdin and {content!r}[min(seen.count("---"), {last})])
"""


def editor(tmp_path, *contents: str) -> tuple[str, object]:
    script = tmp_path / "fake-editor.py"
    script.write_text(EDITOR.format(content=list(contents), last=len(contents) - 1))
    return f"{sys.executable} {script}", script.with_suffix(".log")


def test_config_edit_reopens_a_broken_file_with_the_problem_on_top(tmp_path, config_file):
    command, log = editor(tmp_path, "catch_up: soon\n", "catch_up: 45m\n")
    result = subprocess.run(
        [sys.executable, "-m", "kindnudge", "config", "edit"], input="y\n", capture_output=True, text=True,
        env={**os.environ, "EDITOR": command},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    copy = config_file.with_name(".config.editing.yaml")  # what the editor opens: lines as it shows them
    assert f"{config_file}:1:11: 'soon' is not a duration" in result.stdout
    second_open = log.read_text().split("---\n")[2]
    assert second_open.startswith("# kindnudge: line 2, column 11: 'soon' is not a duration")
    assert config_file.read_text() == "catch_up: 45m\n" and not copy.exists()


def test_config_edit_given_up_puts_back_the_last_working_file(tmp_path, config_file):
    config_file.write_text("catch_up: 1h\n")
    command, _log = editor(tmp_path, "catch_up: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "kindnudge", "config", "edit"], input="n\n", capture_output=True, text=True,
        env={**os.environ, "EDITOR": command},
    )  # fmt: skip
    assert result.returncode == 2
    rejected = config_file.with_name("config.yaml.rejected")
    assert result.stderr.endswith(f"; your config is as it was; your edit is kept in {rejected}\n")
    assert config_file.read_text() == "catch_up: 1h\n" and rejected.read_text() == "catch_up: [\n"


def config_edit(editor: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [KINDNUDGE, "config", "edit"], input=stdin, capture_output=True, text=True, timeout=30,
        env={**os.environ, "EDITOR": editor},
    )  # fmt: skip


def test_config_edit_end_of_input_at_fix_it_puts_back_the_last_working_file(tmp_path, config_file):
    config_file.write_text("catch_up: 1h\n")
    command, _log = editor(tmp_path, "catch_up: [\n")
    result = config_edit(command, stdin="")
    assert result.returncode == 1
    rejected = config_file.with_name("config.yaml.rejected")
    assert result.stderr == f"kindnudge: stopped; your config is as it was; your edit is kept in {rejected}\n"
    assert config_file.read_text() == "catch_up: 1h\n" and rejected.read_text() == "catch_up: [\n"


EDITORS = {  # what the editor does, the exit status and the line kindnudge ends with
    "exits 3": ("sys.exit(3)", 1, "the editor '{python}' exited with status 3"),
    "is killed": ("os.kill(os.getpid(), signal.SIGKILL)", 1, "the editor was stopped by SIGKILL"),
    "is interrupted": ("os.kill(os.getpid(), signal.SIGINT)", 130, "the editor was stopped by SIGINT"),
}


@pytest.mark.parametrize("fate", EDITORS)
@pytest.mark.parametrize("before", ["catch_up: 1h\n", None])
def test_config_edit_puts_back_the_config_when_the_editor_fails(tmp_path, config_file, fate, before):
    if before:
        config_file.write_text(before)
    script = tmp_path / "editor.py"
    code, status, words = EDITORS[fate]
    script.write_text(
        "import os, pathlib, signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
        f"pathlib.Path(sys.argv[1]).write_text('catch_up: 5m\\n')\n{code}\n"
    )
    result = config_edit(f"{sys.executable} {script}")
    rejected = config_file.with_name("config.yaml.rejected")
    end = f"your config is as it was; your edit is kept in {rejected}"
    assert (result.returncode, result.stderr) == (
        status,
        f"kindnudge: {words.format(python=sys.executable)}; {end}\n",
    )
    assert (config_file.read_text() if before else config_file.exists()) == (before or False)
    assert rejected.read_text() == "catch_up: 5m\n"


@pytest.mark.parametrize("when", ["at Fix it now", "while the editor runs"])
def test_config_edit_ctrl_c_in_a_terminal_puts_back_the_config(tmp_path, config_file, when):
    config_file.write_text("catch_up: 1h\n")
    script = tmp_path / "editor.py"
    stay = "print('editing', flush=True); time.sleep(30)" if when == "while the editor runs" else ""
    script.write_text(
        f"import pathlib, sys, time\npathlib.Path(sys.argv[1]).write_text('catch_up: [')\n{stay}\n"
    )
    shell = f'trap "" INT; EDITOR="{sys.executable} {script}" exec {KINDNUDGE} config edit'  # Ctrl+C ignored
    child = pexpect.spawn("bash", ["-c", shell], encoding="utf-8", timeout=15)
    child.expect_exact("editing" if stay else "Fix it now? [Y/n] ")
    child.sendcontrol("c")
    child.expect_exact("kindnudge: stopped; your config is as it was; your edit is kept in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert config_file.read_text() == "catch_up: 1h\n"


def test_config_edit_with_an_editor_that_cannot_start_changes_nothing(config_file):
    result = config_edit("/nonexistent/editor --wait")
    assert result.returncode == 2
    assert result.stderr == (
        "kindnudge: cannot start the editor '/nonexistent/editor' (No such file or directory);"
        " set EDITOR, e.g. EDITOR=nano kindnudge config edit; your config is as it was\n"
    )
    assert list(config_file.parent.iterdir()) == []
