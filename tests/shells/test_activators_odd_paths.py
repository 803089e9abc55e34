"""The activation scripts in an env (bin/activate*) work in every real shell when the env's path holds `'`, `!`,
`"`, `$`, a backtick, spaces, backslashes, `%` and non-ASCII letters: for the env the native creator writes and for
the one `uv venv` writes (whose path line corral repairs: uv's own quoting is wrong in csh, fish and nushell for
some of these). Sourcing sets VIRTUAL_ENV and puts the env's python first; `deactivate` restores both."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import pyenv_python
from corral.core.interpreter import InterpreterInfo
from corral.core.protocols import CreateRequest
from corral.creators.native import NativeCreator, repair_activators
from corral.creators.uv import UvCreator
from corral.discovery.prober import CachedProber
from corral.infra.paths import CorralPaths
from corral.infra.uvbin import uv_binary
from support.shellkit import require

pytestmark = [pytest.mark.integration, pytest.mark.shells]

# Every character some shell reads specially inside or around a quoted word (control characters are refused
# when an env is created: core.protocols.CreateRequest).
ODDEST = "a 'q !b \"d $x `t` \\s \\\\d \\' ü %P% &;"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def _identify(python: Path) -> InterpreterInfo:
    data = CachedProber(CorralPaths.from_environment().interpreter_cache).probe(python)
    return InterpreterInfo.from_probe(data, path=str(python), source="pyenv")


@pytest.fixture(scope="module", params=["native", "uv"])
def odd_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp(f"odd-{request.param}") / ODDEST
    base.mkdir()
    env = base / "env"
    creator = NativeCreator() if request.param == "native" else UvCreator()
    creator.create(CreateRequest(dest=env, interpreter=_identify(pyenv_python("3.12")), seed=False))
    return env


def _posix_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _nu_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_POSIX = (
    "source {act}\n"
    'printf \'VE=%s\\nPY=%s\\n\' "$VIRTUAL_ENV" "$(command -v python)"\n'
    "deactivate\n"
    'printf \'OFF=%s|%s\\n\' "${{VIRTUAL_ENV-}}" "$PATH"\n'
)
_FISH = (
    "source {act}\n"
    'printf "VE=%s\\nPY=%s\\n" "$VIRTUAL_ENV" (command -v python)\n'
    "deactivate\n"
    'printf "OFF=%s|%s\\n" "$VIRTUAL_ENV" (string join : $PATH)\n'
)
# csh reads the activator's path from the environment: a `!` typed into a csh script is a history event.
_CSH = (
    'source "$ACTIVATOR:q"\n'
    'printf "VE=%s\\n" "$VIRTUAL_ENV:q"\n'
    'set py = "`which python`"\n'
    'printf "PY=%s\\n" "$py:q"\n'
    "deactivate\n"
    "if ( $?VIRTUAL_ENV ) then\n"
    ' printf "OFF=%s|%s\\n" "$VIRTUAL_ENV:q" "$PATH:q"\n'
    "else\n"
    ' printf "OFF=|%s\\n" "$PATH:q"\n'
    "endif\n"
)
_NU = (
    "overlay use {act}\n"
    'print $"VE=($env.VIRTUAL_ENV)"\n'
    'print $"PY=(which python | get path.0)"\n'
    "deactivate\n"
    "print $\"OFF=($env.VIRTUAL_ENV? | default '')|($env.PATH | str join ':')\"\n"
)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "csh", "tcsh", "nu"])
def test_activate_and_deactivate_at_an_odd_path(odd_env: Path, shell: str, tmp_path: Path) -> None:
    program = require(shell)
    bin_dir = odd_env / "bin"
    environ = {"PATH": BASE_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(tmp_path), "TERM": "dumb"}
    environ["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    script = tmp_path / "t"
    if shell in {"bash", "zsh"}:
        script.write_text(_POSIX.format(act=_posix_quote(str(bin_dir / "activate"))), encoding="utf-8")
        argv = [program, "-f" if shell == "zsh" else "--norc", str(script)]
    elif shell == "fish":
        script.write_text(_FISH.format(act=_fish_quote(str(bin_dir / "activate.fish"))), encoding="utf-8")
        argv = [program, "--no-config", str(script)]
    elif shell == "nu":
        script.write_text(_NU.format(act=_nu_quote(str(bin_dir / "activate.nu"))), encoding="utf-8")
        argv = [program, "--no-config-file", str(script)]
    else:
        script.write_text(_CSH, encoding="utf-8")
        environ["ACTIVATOR"] = str(bin_dir / "activate.csh")
        argv = [program, "-f", str(script)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=environ, timeout=120)
    out = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert (done.returncode, out) == (
        0,
        {"VE": str(odd_env), "PY": str(bin_dir / "python"), "OFF": f"|{BASE_PATH}"},
    ), done.stderr


def test_the_repair_is_idempotent_and_leaves_plain_paths_to_uv(odd_env: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (odd_env / "bin").glob("activate*")}
    repair_activators(odd_env)
    assert {p.name: p.read_bytes() for p in (odd_env / "bin").glob("activate*")} == before
    # an env at a plain path keeps uv's scripts byte for byte (nothing is read or written)
    plain = tmp_path / "plain"
    UvCreator().create(CreateRequest(dest=plain, interpreter=_identify(pyenv_python("3.12")), seed=False))
    twin = tmp_path / "twin"
    cmd = [uv_binary(), "venv", str(twin), "--python", str(pyenv_python("3.12")), "--no-project", "--quiet"]
    subprocess.run([*cmd, "--no-python-downloads"], check=True, env=os.environ.copy())
    for name in before:
        ours = (plain / "bin" / name).read_bytes().replace(os.fsencode(plain), b"@")
        assert ours == (twin / "bin" / name).read_bytes().replace(os.fsencode(twin), b"@"), name
