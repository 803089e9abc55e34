"""Activation of envs corral did not create (`python -m venv`, virtualenv, uv) and quoting round trips,
in real shells."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.shells.bash import posix_quote
from corral.shells.csh import csh_quote
from corral.shells.fish import fish_quote
from corral.shells.nushell import nu_quote
from support import shellkit
from support.shellkit import make_environ, require

if TYPE_CHECKING:
    from collections.abc import Callable

# fixtures live in shellkit (a conftest.py here would shadow tests/conftest.py)
base_python_dir = shellkit.base_python_dir
corral_bin = shellkit.corral_bin

pytestmark = [pytest.mark.shells, pytest.mark.integration]


def _make(tool: str, dest: Path) -> None:
    py = str(pyenv_python("3.12"))
    if tool == "venv":
        cmd = [py, "-m", "venv", "--without-pip", str(dest)]
    elif tool == "virtualenv":
        pytest.importorskip("virtualenv")
        cmd = [sys.executable, "-m", "virtualenv", "--no-seed", "--no-periodic-update", "-p", py, str(dest)]
    else:
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        if uv is None:
            pytest.skip("uv missing")
        cmd = [uv, "venv", "--no-config", "--python", py, str(dest)]
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.mark.parametrize("tool", ["venv", "virtualenv", "uv"])
def test_envs_from_other_tools_activate_and_deactivate_in_bash(
    tool: str, tmp_path: Path, corral_bin: Path, base_python_dir: Path
) -> None:
    # given
    env = tmp_path / f"made by {tool}"
    _make(tool, env)
    script = "\n".join(
        [
            f'eval "$(corral activate --shell bash --env {posix_quote(str(env))})"',
            'python -c "import sys; print(sys.prefix)"',
            'eval "$(corral deactivate --shell bash)"',
            'python -c "import sys; print(sys.prefix)"',
            "",
        ]
    )
    # when
    done = subprocess.run(
        [require("bash"), "--norc", "-c", script],
        env=make_environ(tmp_path, corral_bin, base_python_dir),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # then
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stderr
    assert os.path.realpath(lines[0]) == os.path.realpath(env)
    assert os.path.realpath(lines[1]) != os.path.realpath(env)


TRICKY = [
    "a b",
    "it's",
    'say "hi"',
    "$HOME",
    "`date`",
    "$(date)",
    "100%",
    "ü ñ 中",
    "back\\slash",
    "tab\tx",
    "*?[x]",
    "~root",
    "a;b|c&d",
    "{a,b}",
    "-n",
    "",
]


@pytest.mark.parametrize(
    ("shell", "quote", "command"),
    [
        ("bash", posix_quote, "printf '%s\\n' {}"),
        ("zsh", posix_quote, "printf '%s\\n' {}"),
        ("ksh", posix_quote, "printf '%s\\n' {}"),
        ("fish", fish_quote, "printf '%s\\n' {}"),
        ("tcsh", csh_quote, "printf '%s\\n' {}"),
        ("nu", nu_quote, "print {}"),
    ],
)
def test_quoting_round_trips_through_the_real_shell(
    shell: str, quote: Callable[[str], str], command: str, tmp_path: Path
) -> None:
    if shell == "nu" and shutil.which("nu") is None:
        pytest.skip("nushell is optional")
    exe = require(shell)
    values = [*TRICKY, "bang!"] if shell != "tcsh" else [*TRICKY, "bang!x"]
    script = tmp_path / "quote"
    script.write_text("\n".join(command.format(quote(v)) for v in values) + "\n", encoding="utf-8")
    flags = {"bash": ["--norc"], "zsh": ["-f"], "fish": ["--no-config"], "tcsh": ["-f"], "nu": ["--no-config-file"]}
    done = subprocess.run(
        [exe, *flags.get(shell, []), str(script)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        timeout=60,
    )
    assert done.stdout.split("\n")[: len(values)] == values, done.stderr
