"""Helpers and fixtures for the real-shell tests (imported by the test modules: a conftest.py here would shadow
tests/conftest.py, which other modules import as `conftest`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import missing, pyenv_python
from support.fixtures import isolated_environ

ODD_NAME = "sp ace ü 'q"  # a space, non-ASCII, a single quote


def require(program: str) -> str:
    """Absolute path of a shell program, or skip (fail under CI)."""
    found = shutil.which(program)
    if found is None:
        missing(f"{program} is not installed (apt-get install it; see .ci/run)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def corral_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a `corral` launcher for the interpreter running the tests (put it on PATH)."""
    folder = tmp_path_factory.mktemp("corral-bin")
    launcher = folder / "corral"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m corral "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def base_python_dir() -> Path:
    """A folder with a plain `python` (not any env's) to put on PATH before activation."""
    return pyenv_python("3.11").parent


def make_environ(home: Path, corral_bin: Path, base_python_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a shell under test: isolated from pip/uv/corral settings, a private HOME and CORRAL_HOME."""
    env = {
        k: v
        for k, v in isolated_environ().items()
        if not k.startswith(("CORRAL_", "PYTHON", "_CORRAL")) and k not in {"VIRTUAL_ENV_PROMPT", "ENV", "ZDOTDIR"}
    }
    env.update(
        HOME=str(home),
        CORRAL_HOME=str(home / ".corral"),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        PATH=os.pathsep.join([str(corral_bin), str(base_python_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
        TERM="dumb",
    )
    env.update(extra)
    return env


def make_env(path: Path, environ: dict[str, str]) -> Path:
    """`corral venv PATH --no-seed` (uv creator, Python 3.12), as a user would run it."""
    subprocess.run(
        [sys.executable, "-m", "corral", "venv", str(path), "--no-seed", "--python", str(pyenv_python("3.12"))],
        env=environ,
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="session")
def odd_env(tmp_path_factory: pytest.TempPathFactory, corral_bin: Path, base_python_dir: Path) -> Path:
    """One env for the whole session whose path holds a space, non-ASCII letters and a quote."""
    base = tmp_path_factory.mktemp("odd") / ODD_NAME
    base.mkdir()
    home = tmp_path_factory.mktemp("odd-home")
    return make_env(base / "env", make_environ(home, corral_bin, base_python_dir))
