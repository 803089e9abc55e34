"""`corral init` says which Python the env is built on, and what the next sync does to an env it kept.

Real venvs and real pyenv interpreters; the local index fixture only (no index is contacted: `name-check` is
off, so init asks no index whether the project's name is taken).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _quiet_init(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_SEED", "0")
    monkeypatch.setenv("CORRAL_NAME_CHECK", "0")


def _venv(where: Path, version: str) -> Path:
    """A plain venv made by the stdlib from pyenv's `version` (another project's env, say)."""
    subprocess.run([str(pyenv_python(version)), "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def test_init_with_a_venvs_python_on_path_names_the_base_it_builds_on(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: another venv's bin first on PATH, as when that venv is activated
    other = _venv(tmp_path / "other-env", "3.12")
    monkeypatch.setenv("PATH", f"{other / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    root = tmp_path / "app"
    # when
    result = corral("init", str(root), cwd=tmp_path)
    # then: the line names the interpreter the new env links to, and the venv's python only as the way it was found
    assert result.exit_code == 0, result.stderr
    base = os.readlink(root / ".venv" / "bin" / "python")
    assert os.path.realpath(base) == os.path.realpath(pyenv_python("3.12"))
    using = next(line for line in result.stderr.splitlines() if line.startswith("using Python"))
    assert f"({base})" in using, using
    assert f"{other / 'bin' / 'python3'} is in the virtual env {other}, so .venv is built on its base Python" in using


def test_init_json_names_the_base_and_the_venv_python_it_came_from(tmp_path: Path, corral: Corral) -> None:
    other = _venv(tmp_path / "other-env", "3.12")
    root = tmp_path / "app"
    result = corral("init", str(root), "--python", str(other / "bin" / "python"), "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["python_via"] == str(other / "bin" / "python")
    assert data["python"] == os.readlink(root / ".venv" / "bin" / "python")
    assert not data["python"].startswith(str(other))


def test_init_with_a_base_python_says_nothing_of_a_base(tmp_path: Path, corral: Corral) -> None:
    python = pyenv_python("3.12")
    result = corral("init", str(tmp_path / "app"), "--python", str(python), "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["python"] == str(python)
    assert data["python_via"] is None
    assert data["python_why"] == "as --python asked"


def test_init_keeping_an_env_of_another_python_says_the_next_sync_rebuilds_it(tmp_path: Path, corral: Corral) -> None:
    # given: a project folder whose .venv corral made on 3.11
    root = tmp_path / "app"
    root.mkdir()
    made = corral("venv", "--python", str(pyenv_python("3.11")), ".venv", cwd=root)
    assert made.exit_code == 0, made.stderr
    # when: init pins 3.12
    result = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    # then: kept, and the warning is the reason the next sync gives for its rebuild
    assert result.exit_code == 0, result.stderr
    assert "kept existing .venv" in result.stderr
    warning = (
        "the existing .venv is kept for now, but `corral sync` will rebuild it from the lock: it runs CPython 3.11"
    )
    assert warning in result.stderr, result.stderr
    synced = corral("sync", cwd=root)
    assert synced.exit_code == 0, synced.stderr
    assert "rebuilding" in synced.stderr and "it runs CPython 3.11" in synced.stderr
    assert (root / ".venv" / "pyvenv.cfg").read_text().count("3.12.") >= 1


def test_init_keeping_an_env_corral_did_not_make_names_allow(tmp_path: Path, corral: Corral) -> None:
    root = tmp_path / "app"
    root.mkdir()
    _venv(root / ".venv", "3.12")
    result = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    assert result.exit_code == 0, result.stderr
    assert "`corral sync` will rebuild it from the lock: corral has no record of making it here" in result.stderr
    assert "`corral allow` keeps an env you made yourself" in result.stderr


def test_init_again_over_its_own_env_warns_of_nothing(tmp_path: Path, corral: Corral) -> None:
    root = tmp_path / "app"
    first = corral("init", str(root), "--python", str(pyenv_python("3.12")), cwd=tmp_path)
    assert first.exit_code == 0, first.stderr
    again = corral("init", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert "kept existing .venv" in again.stderr
    assert "warning" not in again.stderr, again.stderr
