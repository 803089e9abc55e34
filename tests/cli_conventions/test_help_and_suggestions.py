"""`corral --help` grouped with examples; a mistyped command answered with the close ones."""

from __future__ import annotations

import subprocess

import pytest

from conftest import corral_exe

pytestmark = pytest.mark.integration


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*corral_exe(), *args], capture_output=True, text=True, check=False)


def test_help_groups_commands_with_one_example_each() -> None:
    from corral.render.help import GROUPS

    text = run("--help").stdout
    titles = [title for title, _ in GROUPS]
    assert titles == ["project", "envs and shells", "health", "Pythons", "throwaway"]
    positions = [text.index(f"\n{title}:\n") for title in titles]
    assert positions == sorted(positions)
    for _, members in GROUPS:
        for name, example in members:
            assert f"\n  {name} " in text
            assert f"$ {example}" in text
    assert "other:" not in text  # every visible command sits in a group
    assert "hook-eval" not in text
    assert "exit codes: 0 ok, 1 a check found a problem or an operation failed, 2 usage, 130 interrupted" in text


@pytest.mark.parametrize(
    ("typed", "meant"), [("ad", "add"), ("snyc", "sync"), ("docter", "doctor"), ("recrate", "recreate")]
)
def test_mistyped_command_suggests_the_close_one(typed: str, meant: str) -> None:
    done = run(typed, "requests")
    assert done.returncode == 2
    assert f"unknown command '{typed}'; did you mean `corral {meant}`" in done.stderr
    assert "venv" not in done.stderr.split("error:")[1]  # not the whole list


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["envs", "lst"], "did you mean 'list'?"),
        (["envs", "list", "--sort", "sz"], "did you mean 'size'?"),
        (["sync", "--jsn"], "did you mean '--json'?"),
        (["kernel", "add", "--nmae", "x"], "did you mean '--name'"),
    ],
)
def test_mistyped_action_choice_or_flag_suggests_the_close_one(argv: list[str], hint: str) -> None:
    done = run(*argv)
    assert done.returncode == 2
    assert done.stderr.rstrip().endswith(hint) or hint in done.stderr, done.stderr


def test_mistyped_flag_with_json_puts_the_suggestion_in_fix() -> None:
    import json

    done = run("sync", "--jsn", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert (error["message"], error["fix"]) == ("unrecognized arguments: --jsn", "did you mean '--json'?")
