"""What corral prints names what users know: no temporary file names, no Python reprs, no bare paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from support.index import serve_index
from support.indexed import indexed_project
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import Corral
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


@pytest.fixture
def split_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """An index where `splitpy` 2.0 needs Python 3.13 and 1.0 runs anywhere: a lock for >=3.12 holds both."""
    folder = tmp_path_factory.mktemp("split-wheels")
    build_packages(folder, (Package("splitpy", "1.0"), Package("splitpy", "2.0", requires_python=">=3.13")))
    with serve_index(folder) as index:
        yield index


def test_add_in_a_multi_python_lock_shows_what_this_env_got(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_index: LocalIndex
) -> None:
    root = indexed_project(tmp_path, monkeypatch, split_index)
    done = corral("add", "splitpy", cwd=root)
    assert done.exit_code == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "+ splitpy 1.0" in lines  # Python 3.12 got 1.0 ...
    assert not [line for line in lines if line.startswith("+ splitpy 1.0,")]
    assert "pylock.toml holds one version per Python it supports: splitpy 1.0, 2.0" in lines  # ... the lock both
    assert "selecting: pylock.toml for Python 3.12" in done.stderr
    assert "corral-candidate" not in done.stderr


def test_sync_without_a_lock_says_it_locks_in_words(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    root = indexed_project(tmp_path, monkeypatch, local_index)
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "locking the project: there is no pylock.toml yet" in done.stderr
    assert "no pylock.toml yet; locking" not in done.stderr


def test_venv_names_recorded_settings_as_toml(corral: Corral, project: Path) -> None:
    done = corral("venv", "--system-site-packages", "--no-seed", "--python", str(pyenv_python("3.12")), cwd=project)
    assert done.exit_code == 0, done.stderr
    assert "recorded system-site-packages = true in pyproject.toml's [tool.corral]" in done.stderr
    assert "{'" not in done.stderr


def test_init_prints_nothing_on_stdout(corral: Corral, tmp_path: Path) -> None:
    done = corral("init", str(tmp_path / "fresh"), "--python", str(pyenv_python("3.12")), cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert f"project ready in {tmp_path / 'fresh'}" in done.stderr
