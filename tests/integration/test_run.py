"""`corral run`: sync when needed, then the command inside the env, its exit code passed through."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project

from conftest import corral_exe, pyenv_python
from corral.infra.environ import env_environ

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

W = "py2.py3-none-any.whl"


@pytest.fixture
def project_env(local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project locked to alpha + cowsay-lite (console script), pointed at the local index; no env yet."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    pyenv_python("3.12")
    root = write_project(tmp_path / "proj", deps=["alpha", "cowsay-lite"])
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    write_lock(
        root,
        local_index,
        [Entry(f"alpha-1.1-{W}"), Entry(f"cowsay_lite-1.0-{W}")],
        dict(os.environ),
        extras=[],
        groups=[],
        default_groups=[],
    )
    return root


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`corral run ...` in a subprocess (run replaces its process, so never in-process)."""
    return subprocess.run(
        [*corral_exe(), "run", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=env or dict(os.environ),
    )


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_run_syncs_a_fresh_project_then_runs_a_console_script(project_env: Path, engine: str) -> None:
    done = run(project_env, "--engine", engine, "cowsay-lite", "hello", "there")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "moo hello there\n"
    assert "installing 2 package(s): alpha, cowsay-lite" in done.stderr
    again = run(project_env, "cowsay-lite", "again")
    assert again.stdout == "moo again\n"
    assert "installing" not in again.stderr


def test_run_passes_the_exit_code_through(project_env: Path) -> None:
    assert run(project_env, "python", "-c", "import sys; sys.exit(7)").returncode == 7
    assert run(project_env, "python", "-c", "pass").returncode == 0
    assert run(project_env, "--", "python", "-c", "raise SystemExit(3)").returncode == 3


def test_the_command_environment_drops_pythonhome(project_env: Path) -> None:
    environ = env_environ(project_env / ".venv", {"PYTHONHOME": "/x", "PATH": "/usr/bin", "VIRTUAL_ENV": "/y"})
    assert environ == {
        "PATH": f"{project_env / '.venv' / 'bin'}{os.pathsep}/usr/bin",
        "VIRTUAL_ENV": str(project_env / ".venv"),
    }


def test_run_sets_virtual_env_and_puts_bin_first(project_env: Path) -> None:
    environ = dict(os.environ, VIRTUAL_ENV="/somewhere/else")
    code = "import os, sys, alpha; print(os.environ['VIRTUAL_ENV']); print(sys.prefix); print(alpha.__version__)"
    done = run(project_env, "python", "-c", code, env=environ)
    assert done.returncode == 0, done.stderr
    env = str(project_env / ".venv")
    assert done.stdout.splitlines() == [env, env, "1.1"]
    path = run(project_env, "python", "-c", "import os; print(os.environ['PATH'].split(os.pathsep)[0])")
    assert path.stdout.strip() == str(project_env / ".venv" / "bin")


def test_run_of_a_missing_command_exits_127_with_one_line(project_env: Path) -> None:
    done = run(project_env, "no-such-program-xyz")
    assert done.returncode == 127
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: command not found: no-such-program-xyz (looked in {project_env / '.venv'} and on PATH)"
    )


def test_run_without_a_command_is_a_usage_error(project_env: Path) -> None:
    done = run(project_env)
    assert done.returncode == 2
    assert "nothing to run" in done.stderr


def test_run_after_a_bare_pip_uninstall_syncs_first(project_env: Path) -> None:
    assert run(project_env, "python", "-c", "import alpha").returncode == 0
    subprocess.run(
        [str(project_env / ".venv" / "bin" / "python"), "-m", "pip", "uninstall", "-y", "alpha"],
        capture_output=True,
        check=True,
    )
    done = run(project_env, "python", "-c", "import alpha; print(alpha.__version__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.1"
    assert "installing 1 package(s): alpha" in done.stderr


def test_run_after_add_takes_the_no_op_path(
    tmp_path: Path, local_index: object, monkeypatch: pytest.MonkeyPatch, pythons: dict[str, Path]
) -> None:
    """`add` leaves the env exactly as a plain sync would, so the next `run` starts no resolver (stdlib only)."""
    import sys

    pyenv_python("3.12")  # skip locally / fail under CI when absent
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'
    )
    (project / ".python-version").write_text("3.12\n")
    env = dict(os.environ)
    added = subprocess.run(
        [sys.executable, "-m", "corral", "add", "alpha"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "run", "python", "-c", "import alpha"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert "packaging" not in ran.stderr, "run after add should take the stdlib-only fast path"
