"""`corral outdated` calls a newer release allowed only when the locked packages that require it admit it too.

Before round 12 only pyproject.toml's constraints counted: with conflict-a (which pins alpha==1.0) locked, alpha 2.0
was "allowed", though `corral lock --upgrade-package alpha` could never take it. Real CLI, real env, local index.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("CORRAL_SEED", "0")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.11"\ndependencies = ["conflict-a"]\n',
        encoding="utf-8",
    )
    (project / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return project


def rows(corral: Corral, root: Path) -> dict[str, dict[str, object]]:
    done = corral("outdated", "--json", cwd=root)
    assert done.exit_code == 0, done.stderr
    return {r["name"]: r for r in json.loads(done.stdout)["data"]}


def test_a_release_a_locked_package_excludes_is_not_allowed_and_says_who(root: Path, corral: Corral) -> None:
    assert corral("sync", cwd=root).exit_code == 0
    found = rows(corral, root)
    assert found["alpha"] == {
        "name": "alpha",
        "locked": "1.0",
        "latest_allowed": None,
        "latest": "2.0",
        "allowed": False,
        "constraint": "conflict-a needs ==1.0",
    }
    table = corral("outdated", cwd=root)
    assert "conflict-a needs ==1.0" in table.stdout
    assert "the locked packages that require it" in table.stdout + table.stderr


def test_without_an_env_only_pyproject_counts(root: Path, corral: Corral) -> None:
    assert corral("lock", cwd=root).exit_code == 0
    shutil.rmtree(root / ".venv", ignore_errors=True)
    assert rows(corral, root)["alpha"]["allowed"] is True, "nothing installed to read: pyproject.toml alone"
