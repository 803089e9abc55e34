"""Every engine/creator/shell choice comes from the tables in corral.plugins: one new row is offered everywhere.

A fake member is registered the way a new built-in would be (its class plus one row, `monkeypatch.setitem` on the
table); the command line, the settings check, shell detection, the engine fallback and `corral activate` must all
know it with no other edit.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corral import plugins
from corral.cli.activate_cmd import shell_help, usage_line
from corral.cli.main import COMMANDS
from corral.errors import ConfigError, ShellError
from corral.plugins import CREATORS, ENGINES, SHELLS, ShellRow
from corral.services.config import SETTINGS, Settings, checked_file_value
from corral.services.context import Context
from corral.services.sync.apply import pick_engine
from corral.shells.bash import BashShell
from corral.shells.detect import canonical_name, detect_shell

if TYPE_CHECKING:
    from conftest import Corral


class ElvishShell(BashShell):
    """A shell corral does not ship: here only to be registered by one row."""

    name = "elvish"


class FakeInstaller:
    """An engine corral does not ship; it can serve any env (nothing here installs with it)."""

    name = "fake"

    def cannot_install(self, env: Path, interpreter: object = None) -> str | None:  # noqa: ARG002 - the protocol
        return None


ELVISH = ShellRow(
    f"{__name__}:ElvishShell",
    "eval (corral {cmd} | slurp)",
    spellings=("elv",),
    programs=("elvish", "elvish-nightly"),
    aliases=("elvish-nightly",),
)


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """Every option and positional of `parser` and of its subcommands' parsers."""
    for action in parser._actions:  # noqa: SLF001 - argparse has no public walk over its actions
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in dict.fromkeys(action.choices.values()):
                yield from _actions(sub)
        else:
            yield action


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"corral {command}")
    importlib.import_module(f"corral.cli.{COMMANDS[command][0]}").configure(parser)
    return parser


def _choice_options() -> dict[str, list[argparse.Action]]:
    found: dict[str, list[argparse.Action]] = {"--engine": [], "--creator": [], "shell": []}
    for command in COMMANDS:
        if command == "completion":  # its SHELL is a completion script's language (render.completion.SHELLS)
            continue
        for action in _actions(_parser(command)):
            for key in ("--engine", "--creator"):
                if key in action.option_strings:
                    found[key].append(action)
            if "--shell" in action.option_strings or action.dest == "shell":
                found["shell"].append(action)
    return found


def test_every_choice_list_on_the_command_line_is_the_table() -> None:
    found = _choice_options()
    assert len(found["--engine"]) >= 5  # add, remove, adopt, sync (and run), kernel add
    assert len(found["--creator"]) >= 1  # venv
    assert all(list(a.choices or ()) == list(ENGINES) for a in found["--engine"])
    assert all(list(a.choices or ()) == list(CREATORS) for a in found["--creator"])
    # a --shell help either lists the shells (from the table) or names none (`which`: "shell for the suggested fix")
    listed = [a for a in found["shell"] if set(SHELLS) & set(re.split(r"[ ,/]+", a.help or ""))]
    assert len(listed) >= 4  # activate, deactivate, shell, hook
    for action in listed:
        hook = not action.option_strings
        assert action.help == shell_help(hook=hook)
        assert all(name in (action.help or "") for name, row in SHELLS.items() if row.hook or not hook)


def test_the_settings_offer_and_check_the_table() -> None:
    with pytest.raises(ConfigError, match="use one of " + ", ".join(ENGINES)):
        Settings(environ={"CORRAL_ENGINE": "nope"}).value("engine")
    with pytest.raises(ConfigError, match="use one of " + ", ".join(CREATORS)):
        Settings(environ={"CORRAL_CREATOR": "nope"}).value("creator")
    assert Settings(environ={}).value("engine") == next(iter(ENGINES))
    helps = {s.name: s.help for s in SETTINGS}
    assert all(name in helps["engine"] for name in ENGINES)
    assert all(name in helps["creator"] for name in CREATORS)


def test_each_shell_class_has_its_rows_name() -> None:
    for name in SHELLS:
        assert plugins.load_shell(name).name == name
    assert canonical_name("csh") == "tcsh"
    assert usage_line("csh", "activate") == usage_line("tcsh", "activate") == 'eval "`corral activate`"'


def test_a_new_engine_row_is_offered_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(ENGINES, "fake", f"{__name__}:FakeInstaller")
    assert _parser("sync").parse_args(["--engine", "fake"]).engine == "fake"
    assert _parser("kernel").parse_args(["add", "--engine", "fake"]).engine == "fake"
    assert all("fake" in (a.choices or ()) for a in _choice_options()["--engine"])
    assert Settings(environ={"CORRAL_ENGINE": "fake"}).value("engine") == "fake"
    assert checked_file_value("engine", "fake", tmp_path / "pyproject.toml") == "fake"
    # the settings chose pip, which this env (no pip in it) cannot serve: the row after it is the fallback
    env = tmp_path / "env"
    env.mkdir()
    ctx = Context(cwd=tmp_path, environ={"CORRAL_ENGINE": "pip", "PATH": "/usr/bin"})
    assert isinstance(pick_engine(ctx, None, env, None), FakeInstaller)


def test_a_new_shell_row_is_offered_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corral: Corral) -> None:
    monkeypatch.setitem(SHELLS, "elvish", ELVISH)
    help_text = _parser("activate").format_help()
    assert "elvish/elv" in " ".join(help_text.split())
    assert "elvish" in shell_help(hook=True)
    assert canonical_name("/usr/local/bin/elvish") == "elvish"
    assert canonical_name("elv") == "elvish"
    assert canonical_name("elvish-nightly") == "elvish"
    found = detect_shell({"SHELL": "/opt/bin/elvish"}, parent=1)
    assert found is not None
    assert (found.name, found.source) == ("elvish", "$SHELL")
    assert isinstance(plugins.load_shell("elv"), ElvishShell)
    assert plugins.shell_programs("elv") == ("elv", "elvish", "elvish-nightly")
    assert usage_line("elv", "deactivate") == "eval (corral deactivate | slurp)"
    with pytest.raises(ShellError, match="elvish"):
        plugins.load_shell("dos")
    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    result = corral("activate", "--env", str(env), "--shell", "elv", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"export VIRTUAL_ENV={ElvishShell().quote(str(env))}"


def test_the_tables_load_no_plugin_and_the_parsers_none_either() -> None:
    probe = (
        "import json, sys\n"
        "import corral.plugins\n"
        "first = sorted(m for m in sys.modules if m.startswith('corral'))\n"
        "from corral.cli.main import main\n"
        "for argv in (['sync', '--help'], ['venv', '--help'], ['activate', '--help'], ['hook', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "plugin = [m for m in sys.modules if m.startswith(('corral.engines', 'corral.creators', 'corral.shells'))]\n"
        "sys.stderr.write(json.dumps({'first': first, 'plugin': plugin}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    seen = json.loads(done.stderr)
    assert seen == {"first": ["corral", "corral.plugins"], "plugin": []}
