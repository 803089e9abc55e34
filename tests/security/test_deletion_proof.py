""" "Provably an env": pyvenv.cfg, an interpreter, site-packages, nothing foreign at top level, or corral's record.

Every env a real creator makes must pass (uv, python -m venv of several versions); a data folder holding a
pyvenv.cfg, or an env-shaped folder holding the user's files, must not. corral's own inventory record (path and
st_dev/st_ino, which a repository cannot forge, unlike corral-env.json) excuses unknown top-level names and,
for recreate, a damaged env.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import pyenv_python
from corral.errors import SafetyRefusal
from corral.infra.paths import CorralPaths
from corral.infra.rmtree import OpenedTree
from corral.infra.uvbin import uv_binary
from corral.inventory.record import register_env
from corral.inventory.remove import remove_env
from corral.inventory.safety import ENV_NAMES, judge, refusal
from corral.inventory.store import Store
from support.reliability import fake_env, tree_digest


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    return CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")


def _refuse(path: Path, tmp_path: Path, **kw: object) -> str | None:
    return refusal(path, home=tmp_path / "home", cwd=tmp_path, **kw)  # type: ignore[arg-type]


def _register(paths: CorralPaths, env: Path) -> None:
    register_env(paths, path=env, kind="project", project=None, interpreter=None, version=None, creator="uv")


@pytest.mark.integration
@pytest.mark.parametrize("maker", ["uv-3.12", "venv-3.12", "venv-3.13", "venv-3.6", "venv-copies-3.11"])
def test_every_env_a_real_creator_makes_is_provably_one(tmp_path: Path, maker: str) -> None:
    tool, _, version = maker.rpartition("-")
    python = pyenv_python(version)
    env = tmp_path / "env"
    if tool == "uv":
        argv = [uv_binary(), "venv", "-q", "--python", str(python), str(env)]
    else:
        argv = [str(python), "-m", "venv", "--without-pip", *(["--copies"] if "copies" in tool else []), str(env)]
    subprocess.run(argv, check=True, capture_output=True, env={**os.environ, "UV_NO_CACHE": "1"})
    assert _refuse(env, tmp_path) is None
    assert set(os.listdir(env)) <= set(ENV_NAMES)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("cfg-only", "no interpreter"),
        ("no-site-packages", "no site-packages"),
        ("user-file", "notes.txt at its top level"),
        ("src-folder", "src/ at its top level"),
        ("docs-folder", "docs/ at its top level"),
        ("bin-is-a-file", "no interpreter"),
        ("cfg-folder-name-as-file", "share at its top level"),
        ("fifo", "pipe at its top level"),
    ],
)
def test_folders_that_are_not_provably_an_env(tmp_path: Path, shape: str, expected: str) -> None:
    target = tmp_path / "target"
    if shape == "cfg-only":
        target.mkdir()
        (target / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    else:
        fake_env(target)
    if shape == "no-site-packages":
        shutil.rmtree(target / "lib")
    elif shape == "user-file":
        (target / "notes.txt").write_text("mine", encoding="utf-8")
    elif shape in {"src-folder", "docs-folder"}:
        (target / shape.split("-", maxsplit=1)[0]).mkdir()
    elif shape == "bin-is-a-file":
        shutil.rmtree(target / "bin")
        (target / "bin").write_text("", encoding="utf-8")
    elif shape == "cfg-folder-name-as-file":
        (target / "share").write_text("a file where an env has a folder", encoding="utf-8")
    elif shape == "fifo":
        os.mkfifo(target / "pipe")
    reason = _refuse(target, tmp_path)
    assert reason is not None
    assert expected in reason


def test_corral_temp_leftovers_and_a_dangling_interpreter_are_fine(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "env")
    (env / "bin" / "python").unlink()
    (env / "bin" / "python3.12").symlink_to(tmp_path / "gone" / "python3.12")  # a broken env is still an env
    (env / ".corral-sync.json.corral-a1b2c3d4.tmp").write_text("{", encoding="utf-8")  # a killed atomic write
    assert _refuse(env, tmp_path) is None


def test_corrals_own_record_excuses_unknown_top_level_names(tmp_path: Path, paths: CorralPaths) -> None:
    env = fake_env(tmp_path / "env")
    (env / "docs").mkdir()  # say, a package's data_files
    assert "docs/ at its top level" in (_refuse(env, tmp_path, paths=paths) or "")
    _register(paths, env)
    assert _refuse(env, tmp_path, paths=paths) is None
    (env / ".git").mkdir()
    assert ".git" in (_refuse(env, tmp_path, paths=paths) or "")  # a project marker is never excused


def test_a_record_for_another_folder_at_the_same_path_does_not_count(tmp_path: Path, paths: CorralPaths) -> None:
    env = fake_env(tmp_path / "env")
    (env / "docs").mkdir()
    _register(paths, env)
    with Store.open(paths) as store:  # the folder corral made is gone; this one merely took its name
        record = store.get(str(env))
        assert record is not None
        store.upsert(type(record)(**{**record.to_dict(), "extra": {"identity": [0, 0]}}))
    assert "docs/ at its top level" in (_refuse(env, tmp_path, paths=paths) or "")


def test_a_forged_provenance_file_is_no_record(tmp_path: Path, paths: CorralPaths) -> None:
    env = fake_env(tmp_path / "env")  # it carries corral-env.json naming this very folder
    (env / "data").mkdir()
    assert "data/ at its top level" in (_refuse(env, tmp_path, paths=paths) or "")


def test_recreate_may_rebuild_a_damaged_env_only_when_corral_recorded_making_it(
    tmp_path: Path, paths: CorralPaths
) -> None:
    env = fake_env(tmp_path / "env")
    shutil.rmtree(env / "bin")  # damaged: no interpreter
    assert "no interpreter" in (_refuse(env, tmp_path, paths=paths, allow_broken_corral_env=True) or "")
    _register(paths, env)
    assert _refuse(env, tmp_path, paths=paths, allow_broken_corral_env=True) is None
    assert "no interpreter" in (_refuse(env, tmp_path, paths=paths) or "")  # envs rm still wants a whole env


def test_an_env_corral_built_beside_and_renamed_into_place_is_recognised(tmp_path: Path, paths: CorralPaths) -> None:
    build = fake_env(tmp_path / ".env.corral-new-0123abcd")  # recreate builds beside the env, then swaps it in
    _register(paths, build)
    build.rename(tmp_path / "env")
    (tmp_path / "env" / "docs").mkdir()
    assert _refuse(tmp_path / "env", tmp_path, paths=paths) is None


def test_the_proof_is_run_again_on_the_opened_folder(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "env")
    verdict = judge(env, home=tmp_path / "home", cwd=tmp_path)
    assert verdict.reason is None
    assert verdict.identity == (os.lstat(env).st_dev, os.lstat(env).st_ino)
    (env / ".git").mkdir()  # between the check and the deletion
    with OpenedTree.open(env, expect=verdict.identity) as tree:
        assert ".git" in (verdict.recheck(tree) or "")


def test_envs_rm_of_a_recorded_env_with_extra_names_removes_it(tmp_path: Path, paths: CorralPaths) -> None:
    env = fake_env(tmp_path / "envs" / "one")
    (env / "docs").mkdir()
    (env / "docs" / "index.html").write_text("<p>", encoding="utf-8")
    _register(paths, env)
    remove_env(paths, env, home=tmp_path / "home", cwd=tmp_path)
    assert os.listdir(tmp_path / "envs") == []


def test_a_refused_removal_touches_nothing(tmp_path: Path, paths: CorralPaths) -> None:
    data = tmp_path / "data-folder"
    data.mkdir()
    (data / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (data / "results.json").write_text(json.dumps([1, 2, 3]), encoding="utf-8")
    before = tree_digest(data)
    with pytest.raises(SafetyRefusal, match="not provably an environment"):
        remove_env(paths, data, home=tmp_path / "home", cwd=tmp_path)
    assert tree_digest(data) == before
