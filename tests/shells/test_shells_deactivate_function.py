"""`deactivate` after `eval "$(corral activate)"`, in real shells, as a venv's own activate script gives it.

Each script prints sys.prefix before activation, after it and after a plain `deactivate` (no corral command typed),
between __STEP_n__ markers, then whether `deactivate` is still defined: corral's removes itself. The env's path
holds a space, non-ASCII letters and a quote (shellkit's odd env).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from corral.shells.bash import posix_quote
from corral.shells.csh import csh_quote
from corral.shells.fish import fish_quote
from corral.shells.xonsh import xonsh_quote
from support import shellkit
from support.shellkit import make_environ, require

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
            "deactivate",
            "echo __STEP_3__",
            PREFIX,
            'echo "VE=${VIRTUAL_ENV-}"',
            'echo "PS=$PS1"',
            "if command -v deactivate >/dev/null 2>&1; then echo DEFINED; else echo GONE; fi",
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
            "deactivate",
            "echo __STEP_3__",
            PREFIX,
            'echo "VE=$VIRTUAL_ENV"',
            "if functions -q deactivate; echo DEFINED; else; echo GONE; end",
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
            "deactivate",
            "echo __STEP_3__",
            PREFIX,
            "if ( ! $?VIRTUAL_ENV ) echo VE=",
            'if ( `alias deactivate` == "" ) echo GONE',
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
            "deactivate",
            "echo __STEP_3__",
            PREFIX,
            "print('VE=' + ${...}.get('VIRTUAL_ENV', ''))",
            "print('DEFINED' if 'deactivate' in aliases else 'GONE')",
            "",
        ]
    )


# shell -> (program, argv before the script, script builder, file suffix)
SHELLS = {
    "bash": ("bash", ["--norc", "--noprofile"], _posix, ".sh"),
    "zsh": ("zsh", ["-f"], _posix, ".zsh"),
    "ksh": ("ksh", [], _posix, ".ksh"),
    "sh": ("dash", [], _posix, ".sh"),
    "fish": ("fish", ["--no-config"], _fish, ".fish"),
    "tcsh": ("tcsh", ["-f"], _tcsh, ".csh"),
    "xonsh": ("xonsh", ["--no-rc"], _xonsh, ".xsh"),
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


def _run(
    exe: str, args: list[str], script: Path, environ: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args, str(script)],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("shell", list(SHELLS))
def test_deactivate_after_corral_activate(
    shell: str, odd_env: Path, corral_bin: Path, base_python_dir: Path, tmp_path: Path
) -> None:
    program, args, build, suffix = SHELLS[shell]
    exe = require(program)
    script = tmp_path / f"script{suffix}"
    script.write_text(build(odd_env), encoding="utf-8")
    environ = make_environ(tmp_path, corral_bin, base_python_dir, SHELL=exe)
    if shell == "sh":
        environ["CORRAL_SHELL"] = "sh"
    done = _run(exe, args, script, environ, tmp_path)
    steps = _steps(done.stdout)
    assert set(steps) == {1, 2, 3}, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    real = os.path.realpath(odd_env)
    assert os.path.realpath(steps[1][0]) != real
    assert os.path.realpath(steps[2][0]) == real, done.stderr
    assert os.path.realpath(steps[3][0]) == os.path.realpath(steps[1][0]), done.stderr
    assert "VE=" in steps[3]
    assert "GONE" in steps[3], f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    if build is _posix:
        assert "PS=PS> " in steps[3]


def test_corral_deactivate_leaves_a_deactivate_it_did_not_define(
    odd_env: Path, corral_bin: Path, base_python_dir: Path, tmp_path: Path
) -> None:
    """A venv's own activate script defines `deactivate`: `corral deactivate` removes only corral's."""
    exe = require("bash")
    script = tmp_path / "script.sh"
    script.write_text(
        "\n".join(
            [
                f"export VIRTUAL_ENV={posix_quote(str(odd_env))}",
                "deactivate() { echo the-venv-scripts-own; }",
                'eval "$(corral deactivate --shell bash)"',
                "echo __STEP_1__",
                "deactivate",
                "",
            ]
        ),
        encoding="utf-8",
    )
    done = _run(exe, ["--norc", "--noprofile"], script, make_environ(tmp_path, corral_bin, base_python_dir), tmp_path)
    assert _steps(done.stdout).get(1) == ["the-venv-scripts-own"], done.stderr
