"""`corral run --with` on a Python 2.7 project: refused at once (its layer is installed by uv), nothing built."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, pyenv_python
from corral.errors import UsageError
from corral.services.context import Context
from corral.services.ephemeral import with_env

pytestmark = pytest.mark.integration

PYPROJECT = '[project]\nname = "old"\nversion = "0"\nrequires-python = ">=2.7,<3"\ndependencies = []\n'


def _cached_envs(home: Path) -> list[str]:
    folder = home / "cache" / "envs"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("no_sync", [False, True])
def test_run_with_refuses_a_27_project_before_building_anything(
    local_index: object, tmp_path: Path, no_sync: bool
) -> None:
    pyenv_python("2.7")
    root = tmp_path / "old"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".python-version").write_text("2.7\n")
    env = dict(os.environ)
    env["UV_INDEX_URL"] = local_index.simple_url  # type: ignore[attr-defined]
    flags = ["--no-sync"] if no_sync else []
    if no_sync:  # an env whose pyvenv.cfg says 2.7 (what `corral sync` made before)
        (root / ".venv").mkdir()
        (root / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\nversion_info = 2.7.18\n")
    done = subprocess.run(
        [*corral_exe(), "run", *flags, "--with", "alpha", "python", "-c", "print(1)"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "`corral run --with` is not served for Python 2.7" in lines[0]
    left = [".python-version", "pyproject.toml", *([".venv"] if no_sync else [])]
    assert sorted(p.name for p in root.iterdir()) == sorted(left)
    assert not (root / ".venv" / "bin").exists(), "no env was built"
    assert _cached_envs(Path(env["CORRAL_HOME"])) == []


def test_with_env_refuses_a_27_base_env(tmp_path: Path) -> None:
    base = tmp_path / "env"
    base.mkdir()
    (base / "pyvenv.cfg").write_text("home = /nowhere\nversion = 2.7.18\n")
    with pytest.raises(UsageError, match=r"not served for Python 2\.7"):
        with_env(Context(cwd=tmp_path), ["alpha"], base_env=base)
    assert _cached_envs(Path(os.environ["CORRAL_HOME"])) == []
