"""`corral shell` and the cd-hook driven like a person would, in real interactive shells (pexpect)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import pyenv_python
from support import shellkit
from support.shellkit import make_env, make_environ, require

# fixtures live in shellkit (a conftest.py here would shadow tests/conftest.py)
base_python_dir = shellkit.base_python_dir
corral_bin = shellkit.corral_bin

if TYPE_CHECKING:
    from collections.abc import Iterator

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.shells, pytest.mark.integration]

_VE = re.compile(r"VE=\[([^$\]]*)\]")


@dataclass
class Session:
    """One interactive shell; `run` types a command and waits for its exit status."""

    child: Any  # a pexpect.spawn (pexpect ships no types)
    status_var: str
    counter: int = 0

    def run(self, command: str, timeout: float = 30) -> tuple[int, str]:
        self.counter += 1
        mark = f"__M{self.counter}__"
        self.child.sendline(command)
        self.child.sendline(f"echo {mark}:{self.status_var}")
        self.child.expect(rf"{mark}:(\d+)", timeout=timeout)
        return int(self.child.match.group(1)), self.child.before

    def virtual_env(self) -> str:
        _, text = self.run(
            'echo "VE=[$VIRTUAL_ENV]"' if self.status_var == "$status" else 'echo "VE=[${VIRTUAL_ENV-}]"'
        )
        found = _VE.findall(text)
        assert found, text
        return str(found[-1])


@dataclass
class World:
    """Two corral projects, one repo with a foreign `.venv`, a folder outside any project."""

    home: Path
    a: Path
    b: Path
    foreign: Path
    outside: Path
    environ: dict[str, str]


def _project(root: Path, name: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n', encoding="utf-8")
    return root


@pytest.fixture
def world(tmp_path: Path, corral_bin: Path, base_python_dir: Path) -> World:
    home = tmp_path / "home"
    home.mkdir()
    environ = make_environ(home, corral_bin, base_python_dir)
    a = _project(tmp_path / "work" / "alpha proj", "alpha")
    b = _project(tmp_path / "work" / "beta", "beta")
    foreign = _project(tmp_path / "work" / "cloned", "cloned")
    make_env(a / ".venv", environ)
    make_env(b / ".venv", environ)
    # a plain venv corral did not make: what a freshly cloned repository could bring along
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", "--without-pip", str(foreign / ".venv")], check=True)
    outside = tmp_path / "work" / "elsewhere"
    outside.mkdir()
    return World(home=home, a=a, b=b, foreign=foreign, outside=outside, environ=environ)


def _spawn(shell: str, world: World, *, hook: bool) -> Iterator[Session]:
    exe = require(shell)
    hook_line = (
        {"bash": 'eval "$(corral hook bash)"', "zsh": 'eval "$(corral hook zsh)"', "fish": "corral hook fish | source"}[
            shell
        ]
        if hook
        else ""
    )
    env = dict(world.environ)
    if shell == "bash":
        (world.home / ".bashrc").write_text(f"PS1='PS> '\n{hook_line}\n", encoding="utf-8")
        args = ["--noprofile", "-i"]
    elif shell == "zsh":
        (world.home / ".zshrc").write_text(f"PS1='PS> '\n{hook_line}\n", encoding="utf-8")
        args = ["-i"]
    else:
        config = world.home / ".config" / "fish"
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.fish").write_text(
            f"function fish_prompt; echo -n 'PS> '; end\n{hook_line}\n", encoding="utf-8"
        )
        args = ["-i"]
    child = pexpect.spawn(
        exe, args, env=env, cwd=str(world.outside), encoding="utf-8", timeout=30, dimensions=(40, 250)
    )
    session = Session(child=child, status_var="$status" if shell == "fish" else "$?")
    try:
        session.run("true")
        yield session
    finally:
        child.sendline("exit")
        child.close(force=True)


@pytest.fixture(params=["bash", "zsh", "fish"])
def hooked(request: pytest.FixtureRequest, world: World) -> Iterator[tuple[Session, World]]:
    for session in _spawn(request.param, world, hook=True):
        yield session, world


@pytest.fixture(params=["bash", "zsh", "fish"])
def plain(request: pytest.FixtureRequest, world: World) -> Iterator[tuple[Session, World]]:
    for session in _spawn(request.param, world, hook=False):
        yield session, world


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def test_hook_activates_on_cd_switches_projects_and_deactivates_on_leaving(hooked: tuple[Session, World]) -> None:
    session, world = hooked
    assert session.virtual_env() == ""
    session.run(f"cd {_q(world.a)}")
    assert session.virtual_env() == str(world.a / ".venv")
    _, text = session.run('python -c "import sys; print(sys.prefix)"')
    assert str(world.a / ".venv") in text
    session.run(f"cd {_q(world.b)}")
    assert session.virtual_env() == str(world.b / ".venv")
    session.run(f"cd {_q(world.outside)}")
    assert session.virtual_env() == ""


def test_hook_leaves_a_hand_activated_env_alone(hooked: tuple[Session, World]) -> None:
    session, world = hooked
    session.run(f"cd {_q(world.b)}; cd {_q(world.outside)}")
    activate = (
        "corral activate --env {} | source" if session.status_var == "$status" else 'eval "$(corral activate --env {})"'
    )
    session.run(activate.format(_q(world.b / ".venv")))
    assert session.virtual_env() == str(world.b / ".venv")
    session.run(f"cd {_q(world.a)}")
    assert session.virtual_env() == str(world.b / ".venv")
    session.run(f"cd {_q(world.outside)}")
    assert session.virtual_env() == str(world.b / ".venv")


def test_hook_refuses_a_foreign_env_until_allowed(hooked: tuple[Session, World]) -> None:
    session, world = hooked
    _, text = session.run(f"cd {_q(world.foreign)}")
    assert "not activating" in text
    assert "corral allow" in text
    assert session.virtual_env() == ""
    code, _ = session.run("corral allow")
    assert code == 0
    session.run(f"cd {_q(world.outside)}; cd {_q(world.foreign)}")
    assert session.virtual_env() == str(world.foreign / ".venv")


def test_corral_shell_activates_refuses_nesting_and_passes_the_exit_code(plain: tuple[Session, World]) -> None:
    session, world = plain
    session.run(f"cd {_q(world.a)}")
    session.child.sendline("corral shell")
    session.child.expect_exact("(alpha proj) PS> ")  # the project folder's name, since the env is `.venv`
    assert session.virtual_env() == str(world.a / ".venv")
    _, text = session.run('python -c "import sys; print(sys.prefix)"')
    assert str(world.a / ".venv") in text
    code, text = session.run("corral shell")
    assert code != 0
    assert "already inside a corral shell" in text
    code, _ = session.run("exit 3")  # the status is read by the parent shell, once the subshell is gone
    assert code == 3
    assert session.virtual_env() == ""


@pytest.mark.parametrize(("shell", "exit_code"), [("ksh", 4), ("tcsh", 4), ("xonsh", 0)])
def test_corral_shell_in_other_shells(shell: str, exit_code: int, world: World) -> None:
    # xonsh's `exit` takes no status, so it always leaves with 0
    exe = require(shell)
    env = dict(world.environ, PATH=f"{Path(exe).parent}:{world.environ['PATH']}")
    child = pexpect.spawn(
        "corral",
        ["shell", "--shell", shell],
        env=env,
        cwd=str(world.a),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 250),
    )
    child.sendline('echo "VE=[$VIRTUAL_ENV]"')
    child.expect(r"VE=\[([^$\]]*)\]")
    assert child.match.group(1) == str(world.a / ".venv")
    child.sendline("python -c \"import sys; print('PREFIX=' + sys.prefix)\"")
    child.expect(r"PREFIX=([^'\r\n]+)\r\n")
    assert child.match.group(1) == str(world.a / ".venv")
    child.sendline("exit 4")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == exit_code
