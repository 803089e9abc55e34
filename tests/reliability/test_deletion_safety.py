"""Deletion safety: envs rm, envs gc, recreate and kernel remove refuse every dangerous target, deleting nothing.

Every target is a stand-in under tmp_path (a fake $HOME, a fake project...), except `/`, which is only ever
passed with safety on; a guard makes any deletion, rename or env build outside corral's own folder fail the
test at once, so a broken safety check cannot touch anything real.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
from pathlib import Path

import pytest
from reliability_support import fake_env, tree_digest

from corral.infra.paths import CorralPaths
from corral.inventory.model import EnvRecord
from corral.inventory.store import Store

TARGETS = ("root", "home", "project-root", "symlink-to-env", "cfg-and-git", "other-users-env", "dotdot")


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail on any rmtree/rename/rmdir outside CORRAL_HOME and on any env build or swap; returns the attempts."""
    attempts: list[str] = []
    allowed = os.path.realpath(os.environ["CORRAL_HOME"])

    def check(what: str, path: object) -> None:
        real = os.path.realpath(os.fspath(path))  # type: ignore[arg-type]
        if not real.startswith(allowed + os.sep):
            attempts.append(f"{what} {path}")
            raise AssertionError(f"safety breach: {what} {path}")

    real_rmtree, real_rename, real_rmdir = shutil.rmtree, os.rename, os.rmdir
    monkeypatch.setattr(shutil, "rmtree", lambda p, *a, **k: (check("rmtree", p), real_rmtree(p, *a, **k))[1])
    monkeypatch.setattr(os, "rename", lambda s, d, *a, **k: (check("rename", s), real_rename(s, d, *a, **k))[1])
    monkeypatch.setattr(os, "rmdir", lambda p, *a, **k: (check("rmdir", p), real_rmdir(p, *a, **k))[1])

    def no_build(*_a: object, **_k: object) -> None:
        attempts.append("create_env")
        raise AssertionError("safety breach: recreate started building")

    monkeypatch.setattr("corral.services.create.create_env", no_build)
    monkeypatch.setattr("corral.infra.dirswap.exchange", lambda *_a: (attempts.append("exchange"), False)[1])
    return attempts


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake home (with a pyvenv.cfg), a project with its env, and the dangerous stand-ins."""
    home = tmp_path / "home"
    fake_env(home)  # a home folder that looks like an env: still never deletable
    (home / "kernel.json").write_text('{"argv": ["python"], "display_name": "home", "language": "python"}')
    monkeypatch.setenv("HOME", str(home))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1"\n', encoding="utf-8")
    (project / "pyvenv.cfg").write_text(f"home = {os.path.dirname(os.sys.executable)}\n", encoding="utf-8")
    real_env = fake_env(tmp_path / "envs" / "real")
    link = tmp_path / "envs" / "link"
    link.symlink_to(real_env, target_is_directory=True)
    git_env = fake_env(tmp_path / "envs" / "with-git")
    (git_env / ".git").mkdir()
    foreign = fake_env(tmp_path / "envs" / "foreign")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' to own the other user's env")
    if os.geteuid() != 0:
        pytest.skip("chown to another user needs root (the CI containers run as root)")
    for dirpath, dirnames, filenames in os.walk(foreign):
        for name in [*dirnames, *filenames, "."]:
            os.lchown(os.path.join(dirpath, name), nobody.pw_uid, nobody.pw_gid)
    fake_env(tmp_path / "envs" / "dd")
    return {"tmp": tmp_path, "home": home, "project": project, "real": real_env,
            "targets": {"root": Path("/"), "home": home, "project-root": project, "symlink-to-env": link,
                        "cfg-and-git": git_env, "other-users-env": foreign,
                        "dotdot": tmp_path / "envs" / ".." / "envs" / "dd"}}


def _snapshot(world: dict) -> dict[str, dict[str, str]]:
    return {name: tree_digest(world["tmp"] / name) for name in ("home", "proj", "envs")}


EXPECTED = {  # target -> a word the refusal must contain
    "root": "root", "home": "home", "project-root": "project", "symlink-to-env": "symlink",
    "cfg-and-git": ".git", "other-users-env": "another user", "dotdot": "..",
}


@pytest.mark.parametrize("target", TARGETS)
def test_envs_rm_refuses(target, corral, world, guard):
    before = _snapshot(world)
    path = world["targets"][target]
    result = corral("envs", "rm", "--yes", str(path), cwd=world["project"])
    assert result.exit_code != 0, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "refusing" in errors[0], result.stderr
    assert EXPECTED[target] in errors[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before


@pytest.mark.parametrize("target", [t for t in TARGETS if t != "dotdot"])  # the inventory stores normalised paths
def test_envs_gc_keeps(target, corral, world, guard):
    path = world["targets"][target]
    if path.is_dir() and not path.is_symlink() and target not in {"root", "other-users-env"}:
        record = json.loads((world["real"] / "corral-env.json").read_text())
        record["location"] = str(path)  # corral's own record says it made the env right here
        (path / "corral-env.json").write_text(json.dumps(record))
    before = _snapshot(world)
    old = time.time() - 400 * 86400
    with Store.open(CorralPaths.from_environment()) as store:  # an inventory row naming the target, its project gone
        store.upsert(EnvRecord(path=str(path), kind="script", project=str(world["tmp"] / "gone"), interpreter=None,
                               version=None, creator="uv", created_at=old, last_used=old))
    result = corral("envs", "gc", "--yes", "--older-than", "1d", cwd=world["tmp"])
    assert result.exit_code == 0, result
    assert f"keeping {path}" in result.stderr, result.stderr
    assert EXPECTED[target] in result.stderr.split(f"keeping {path}", 1)[1].splitlines()[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before


def _recreate_project(world: dict, venv_dir: str) -> Path:
    project = world["tmp"] / "victim"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "victim"\nversion = "0.1"\n[tool.corral]\nvenv-dir = {json.dumps(venv_dir)}\n')
    return project


@pytest.mark.parametrize("target", TARGETS)
def test_recreate_refuses(target, corral, world, guard):
    path = world["targets"][target]
    if target == "project-root":
        project, venv_dir = world["project"], "."
        text = (project / "pyproject.toml").read_text() + '[tool.corral]\nvenv-dir = "."\n'
        (project / "pyproject.toml").write_text(text)
    else:
        venv_dir = str(path) if target != "dotdot" else "../envs/../envs/dd"
        project = _recreate_project(world, venv_dir)
    before = _snapshot(world)
    result = corral("recreate", "--yes", cwd=project)
    assert result.exit_code != 0, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "refusing" in errors[0], result.stderr
    assert EXPECTED[target] in errors[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before
    assert not list(project.parent.glob(".*corral-new*")), "recreate left a partial build"


@pytest.mark.parametrize("target", ["home", "symlink-to-env", "project-root"])
def test_kernel_remove_refuses_a_kernelspec_that_is_a_link(target, corral, world, guard):
    kernels = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels"
    kernels.mkdir(parents=True)
    victim = world["targets"][target]
    (world["real"] / "kernel.json").write_text('{"argv": ["python"], "display_name": "x", "language": "python"}')
    if target == "project-root":
        (victim / "kernel.json").write_text('{"argv": ["python"], "display_name": "p", "language": "python"}')
    (kernels / "evil").symlink_to(victim, target_is_directory=True)
    before = _snapshot(world)
    result = corral("kernel", "remove", "evil", cwd=world["project"])
    assert result.exit_code != 0, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "symlink" in errors[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before
    assert (kernels / "evil").is_symlink()
