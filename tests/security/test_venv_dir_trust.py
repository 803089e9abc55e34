"""`venv-dir` from a project file is untrusted: it may only name a folder inside the project (symlinks resolved).

The same setting from the user (CORRAL_VENV_DIR, the user config file, a flag) is trusted and may point anywhere.
Before the fix a repository's `venv-dir = "../victim/data"` sent `recreate` at the user's data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from deletion_support import corral_run

from conftest import pyenv_python
from corral.errors import ConfigError
from corral.services.context import Context
from corral.services.sync.stamp import locate
from support.reliability import tree_digest

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1"\ndependencies = []\n'


def _project(tmp_path: Path, venv_dir: str | None) -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    table = f"[tool.corral]\nvenv-dir = {venv_dir!r}\n".replace("'", '"') if venv_dir is not None else ""
    (root / "pyproject.toml").write_text(PYPROJECT + table, encoding="utf-8")
    return root


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    data = tmp_path / "victim" / "data"
    data.mkdir(parents=True)
    (data / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (data / "thesis.txt").write_text("three years of work\n", encoding="utf-8")
    return data


def _venv_dirs(tmp_path: Path, victim: Path) -> dict[str, str]:
    (tmp_path / "proj").mkdir(exist_ok=True)
    (tmp_path / "proj" / "link").symlink_to(victim.parent, target_is_directory=True)
    return {
        "absolute": str(victim),
        "dotdot": "../victim/data",
        "through-a-link": "link/data",
        "new-folder-through-a-link": "link/newenv",
        "project-itself": ".",
    }


@pytest.mark.parametrize("how", ["absolute", "dotdot", "through-a-link", "new-folder-through-a-link", "project-itself"])
@pytest.mark.parametrize("command", [("recreate", "--yes"), ("sync",), ("venv",), ("run", "true"), ("add", "six")])
def test_a_project_venv_dir_outside_the_project_is_refused(
    tmp_path: Path, victim: Path, how: str, command: tuple[str, ...]
) -> None:
    root = _project(tmp_path, _venv_dirs(tmp_path, victim)[how])
    before = tree_digest(tmp_path / "victim")
    done = corral_run(*command, cwd=root)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {root / 'pyproject.toml'}: refusing [tool.corral] venv-dir = "), lines[0]
    assert "CORRAL_VENV_DIR" in lines[0], lines[0]
    assert tree_digest(tmp_path / "victim") == before
    assert not (victim.parent / "newenv").exists()


def test_a_venv_dir_inside_the_project_is_fine(tmp_path: Path) -> None:
    root = _project(tmp_path, "envs/main")
    project = Context(cwd=root).require_project()
    assert project.env_path == root / "envs" / "main"


def test_corral_venv_dir_may_point_anywhere(tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, "../victim/data")  # the project's own value is outranked, so never consulted
    elsewhere = tmp_path / "elsewhere" / "env"
    monkeypatch.setenv("CORRAL_VENV_DIR", str(elsewhere))
    assert Context(cwd=root).require_project().env_path == elsewhere
    assert locate(root) == (root / "pyproject.toml", elsewhere)  # the stdlib-only fast path agrees
    monkeypatch.setenv("CORRAL_VENV_DIR", "../sibling")
    assert Context(cwd=root).require_project().env_path == root / ".." / "sibling"


def test_the_user_config_venv_dir_may_point_anywhere(tmp_path: Path) -> None:
    config = Path(os.environ["CORRAL_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'venv-dir = "{tmp_path / "mine"}"\n', encoding="utf-8")
    root = _project(tmp_path, None)
    assert Context(cwd=root).require_project().env_path == tmp_path / "mine"
    # a project's own venv-dir outranks the user config (settings precedence), and so it is checked
    root = _project(tmp_path, "../victim/data")
    with pytest.raises(ConfigError, match="outside the project"):
        _ = Context(cwd=root).require_project().env_path


def test_the_fast_path_leaves_an_outside_venv_dir_to_the_full_path(tmp_path: Path, victim: Path) -> None:
    for venv_dir in _venv_dirs(tmp_path, victim).values():
        root = _project(tmp_path, venv_dir)
        assert locate(root) is None, venv_dir
    assert locate(_project(tmp_path, ".venv")) == (tmp_path / "proj" / "pyproject.toml", tmp_path / "proj" / ".venv")


@pytest.mark.integration
def test_corral_venv_dir_outside_the_project_is_created(tmp_path: Path) -> None:
    py312 = pyenv_python("3.12")
    root = _project(tmp_path, None)
    elsewhere = tmp_path / "elsewhere" / "env"
    done = corral_run(
        "venv", "--python", str(py312), "--no-seed", cwd=root, extra_env={"CORRAL_VENV_DIR": str(elsewhere)}
    )
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "pyvenv.cfg").is_file()
    assert not (root / ".venv").exists()
