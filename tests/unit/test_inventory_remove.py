from __future__ import annotations

import os
from pathlib import Path

import pytest
from inventory_fakes import fake_env

from corral.errors import SafetyRefusal
from corral.infra.paths import CorralPaths
from corral.inventory.record import known, register_env
from corral.inventory.remove import finish_trash, remove_env
from corral.inventory.store import Store


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    return CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")


def test_remove_deletes_and_unregisters_leaving_no_trash(paths: CorralPaths, tmp_path: Path) -> None:
    env = fake_env(tmp_path / "envs" / "one", provenance=True)
    register_env(paths, path=env, kind="script", project=None, interpreter=None, version=None, creator="uv")
    remove_env(paths, env, home=tmp_path / "home", cwd=tmp_path, require_corral=True)
    assert not env.exists()
    assert os.listdir(tmp_path / "envs") == []
    assert known(paths, env) is None


def test_refused_removal_changes_nothing(paths: CorralPaths, tmp_path: Path) -> None:
    env = fake_env(tmp_path / "envs" / "plain")
    register_env(paths, path=env, kind="script", project=None, interpreter=None, version=None, creator="uv")
    with pytest.raises(SafetyRefusal, match="corral did not make it"):
        remove_env(paths, env, home=tmp_path / "home", cwd=tmp_path, require_corral=True)
    assert (env / "pyvenv.cfg").is_file()
    assert known(paths, env) is not None


def test_interrupted_delete_leaves_trash_that_finish_trash_completes(paths: CorralPaths, tmp_path: Path) -> None:
    # given a removal that got as far as the rename (recorded trash, env renamed) and then died
    env = fake_env(tmp_path / "envs" / "one", provenance=True)
    trash = env.parent / ".one.corral-trash-0123abcd"
    with Store.open(paths) as store:
        store.add_trash(str(trash), str(env))
    env.rename(trash)
    # when gc finishes the trash
    done = finish_trash(paths)
    # then only trash was ever left, and now nothing
    assert done == [str(trash)]
    assert os.listdir(tmp_path / "envs") == []
    with Store.open(paths) as store:
        assert store.pending_trash() == []


def test_finish_trash_ignores_names_that_are_not_trash(paths: CorralPaths, tmp_path: Path) -> None:
    keep = fake_env(tmp_path / "important")
    with Store.open(paths) as store:
        store.add_trash(str(keep), "x")
    assert finish_trash(paths) == []
    assert keep.is_dir()
