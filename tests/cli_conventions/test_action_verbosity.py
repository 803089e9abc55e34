"""-q and -v after a command's action (`corral kernel list -q`); a suggestion never repeats the word typed."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Corral


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # noqa: SLF001 - argparse lists its subparsers nowhere else
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - as above
            found.update(action.choices)
    return found


def _commands_with_actions() -> list[str]:
    from corral.cli.main import COMMANDS, command_parser

    return [name for name in sorted(COMMANDS) if _actions(command_parser(name)[1])]


def test_the_commands_with_actions_are_found() -> None:
    assert {"cache", "envs", "kernel", "python"} <= set(_commands_with_actions())


@pytest.mark.parametrize("command", _commands_with_actions())
def test_every_action_takes_q_and_v_after_it(command: str) -> None:
    from corral.cli.main import command_parser

    _, parser = command_parser(command)
    for action, sub in _actions(parser).items():
        taken = sub._option_string_actions  # noqa: SLF001 - argparse lists its options nowhere else
        assert {"-q", "--quiet", "-v", "--verbose"} <= taken.keys(), sub.prog
        # unset after the action, they keep what was given before it (the action's parser does not reset them)
        assert taken["-q"].default is argparse.SUPPRESS, sub.prog
        assert taken["-v"].default is argparse.SUPPRESS, sub.prog
        assert action


@pytest.mark.parametrize(
    "argv",
    [["kernel", "list", "-q"], ["kernel", "list", "-v"], ["python", "find", "3.12", "-q"], ["envs", "list", "-q"]],
)
def test_q_and_v_after_the_action_run(corral: Corral, argv: list[str]) -> None:
    done = corral(*argv)
    assert done.exit_code == 0, done.stderr
    assert "unrecognized arguments" not in done.stderr


def test_python_find_q_after_the_action_prints_the_path_alone(corral: Corral) -> None:
    quiet = corral("python", "find", "3.12", "-q")
    before = corral("-q", "python", "find", "3.12")
    assert quiet.exit_code == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == (before.stdout, before.stderr)


def test_a_suggestion_never_names_the_word_typed() -> None:
    from corral.cli.main import _with_suggestion

    parser = argparse.ArgumentParser(prog="corral x")
    sub = parser.add_subparsers(dest="action")
    sub.add_parser("a").add_argument("-q", action="store_true")
    sub.add_parser("b").add_argument("--json", action="store_true")
    sub.add_parser("c").add_argument("--json", action="store_true")
    # `-q` is a flag of another action: refused here, but no `did you mean '-q'?`
    assert _with_suggestion(parser, "unrecognized arguments: -q") == "unrecognized arguments: -q"
    # a flag two actions share is suggested once
    assert _with_suggestion(parser, "unrecognized arguments: --jsn") == (
        "unrecognized arguments: --jsn; did you mean '--json'?"
    )
