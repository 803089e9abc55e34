"""Activation in real shells: each script prints sys.prefix before `corral activate`, after it, and after
`corral deactivate`, between __STEP_n__ markers. The shell is detected from the parent process (no --shell)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from corral.shells.bash import posix_quote
from corral.shells.csh import csh_quote
from corral.shells.fish import fish_quote
from corral.shells.nushell import nu_quote
from corral.shells.xonsh import xonsh_quote
from support import shellkit
from support.shellkit import make_environ, require

# fixtures live in shellkit (a conftest.py here would shadow tests/conftest.py)
base_python_dir = shellkit.base_python_dir
corral_bin = shellkit.corral_bin
odd_env = shellkit.odd_env

pytestmark = [pytest.mark.shells, pytest.mark.integration]

PREFIX = 'python -c "import sys; print(sys.prefix)"'


def _posix(env: Path) -> str:
    return "\n".join(
        [
            "PS1='PS> '",
            "echo __STEP_1__",
            PREFIX,
            f'eval "$(corral activate --env {posix_quote(str(env))})"',
            "echo __STEP_2__",
            PREFIX,
            'echo "VE=$VIRTUAL_ENV"',
            'echo "PS=$PS1"',
            'eval "$(corral deactivate)"',
            "echo __STEP_3__",
            PREFIX,
            'echo "VE=${VIRTUAL_ENV-}"',
            'echo "PS=$PS1"',
            "",
        ]
    )


def _fish(env: Path) -> str:
    return "\n".join(
        [
            "echo __STEP_1__",
            PREFIX,
            f"corral activate --env {fish_quote(str(env))} | source",
            "echo __STEP_2__",
            PREFIX,
            'echo "VE=$VIRTUAL_ENV"',
            "corral deactivate | source",
            "echo __STEP_3__",
            PREFIX,
            'echo "VE=$VIRTUAL_ENV"',
            "",
        ]
    )


def _tcsh(env: Path) -> str:
    return "\n".join(
        [
            "echo __STEP_1__",
            PREFIX,
            f'eval "`corral activate --env {csh_quote(str(env))}`"',
            "echo __STEP_2__",
            PREFIX,
            'echo "VE=$VIRTUAL_ENV:q"',
            'eval "`corral deactivate`"',
            "echo __STEP_3__",
            PREFIX,
            "if ( ! $?VIRTUAL_ENV ) echo VE=",
            "",
        ]
    )


def _xonsh(env: Path) -> str:
    return "\n".join(
        [
            "echo __STEP_1__",
            PREFIX,
            f"execx($(corral activate --env {xonsh_quote(str(env))}))",
            "echo __STEP_2__",
            PREFIX,
            "print('VE=' + $VIRTUAL_ENV)",
            "execx($(corral deactivate))",
            "echo __STEP_3__",
            PREFIX,
            "print('VE=' + ${...}.get('VIRTUAL_ENV', ''))",
            "",
        ]
    )


def _nu(env: Path) -> str:
    apply = "load-env $c.set; hide-env -i ...$c.unset"
    return "\n".join(
        [
            "print __STEP_1__",
            f"^{PREFIX}",
            f"let c = (corral activate --env {nu_quote(str(env))} | from json); {apply}",
            "print __STEP_2__",
            f"^{PREFIX}",
            'print $"VE=($env.VIRTUAL_ENV)"',
            f"let c = (corral deactivate | from json); {apply}",
            "print __STEP_3__",
            f"^{PREFIX}",
            'print $"VE=($env.VIRTUAL_ENV? | default "")"',
            "",
        ]
    )


# shell -> (program, argv before the script, script builder, file suffix)
SHELLS = {
    "bash": ("bash", ["--norc", "--noprofile"], _posix, ".sh"),
    "zsh": ("zsh", ["-f"], _posix, ".zsh"),
    "ksh": ("ksh", [], _posix, ".ksh"),
    "fish": ("fish", ["--no-config"], _fish, ".fish"),
    "tcsh": ("tcsh", ["-f"], _tcsh, ".csh"),
    "xonsh": ("xonsh", ["--no-rc"], _xonsh, ".xsh"),
    "nu": ("nu", ["--no-config-file"], _nu, ".nu"),
}


def _steps(output: str) -> dict[int, list[str]]:
    steps: dict[int, list[str]] = {}
    current = 0
    for line in output.splitlines():
        if line.startswith("__STEP_") and line.endswith("__"):
            current = int(line[len("__STEP_") : -2])
            steps[current] = []
        elif current:
            steps[current].append(line)
    return steps


@pytest.mark.parametrize("shell", list(SHELLS))
def test_activate_then_deactivate_switches_sys_prefix(
    shell: str, odd_env: Path, corral_bin: Path, base_python_dir: Path, tmp_path: Path
) -> None:
    # given
    program, args, build, suffix = SHELLS[shell]
    if shell == "nu":
        require_nu = __import__("shutil").which("nu")
        if require_nu is None:
            pytest.skip("nushell is optional (npm install -g nushell)")
    exe = require(program)
    script = tmp_path / f"script{suffix}"
    script.write_text(build(odd_env), encoding="utf-8")
    environ = make_environ(tmp_path, corral_bin, base_python_dir)
    # when
    done = subprocess.run(
        [exe, *args, str(script)],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    # then
    steps = _steps(done.stdout)
    assert set(steps) == {1, 2, 3}, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    real = os.path.realpath(odd_env)
    assert os.path.realpath(steps[1][0]) != real
    assert os.path.realpath(steps[2][0]) == real, done.stderr
    assert f"VE={odd_env}" in steps[2]
    assert os.path.realpath(steps[3][0]) != real, done.stderr
    assert "VE=" in steps[3]
    if build is _posix:
        assert "PS=(sp ace ü _q) PS> " in steps[2]  # the folder name, with the quote made harmless
        assert "PS=PS> " in steps[3]
