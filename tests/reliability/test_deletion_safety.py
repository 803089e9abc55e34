"""Deletion safety: envs rm, envs gc, recreate and kernel remove refuse every dangerous target, deleting nothing.

Every target is a stand-in under tmp_path (a fake $HOME, a fake project...), except `/`, which is only ever
passed with safety on; a guard makes any deletion, rename or env build outside corral's own folder fail the
test at once (paths given relative to a directory descriptor included), so a broken safety check cannot touch
anything real. recreate reaches the targets through CORRAL_VENV_DIR (the user's own, trusted setting): a
project file's venv-dir may not leave the project at all (test_recreate_refuses_a_project_venv_dir_outside).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pytest

from corral.infra.paths import CorralPaths
from corral.inventory.model import EnvRecord
from corral.inventory.store import Store
from support.reliability import fake_env, tree_digest

if TYPE_CHECKING:
    from conftest import Corral

TARGETS = (
    "root",
    "home",
    "project-root",
    "symlink-to-env",
    "cfg-and-git",
    "other-users-env",
    "dotdot",
    "cfg-only-data",
    "env-with-user-files",
    "mount-inside",
)


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail on any rmtree/rename/rmdir outside CORRAL_HOME and on any env build or swap; returns the attempts."""
    attempts: list[str] = []
    allowed = os.path.realpath(os.environ["CORRAL_HOME"])

    def check(what: str, path: object, dir_fd: int | None = None) -> None:
        name = os.fspath(path)  # type: ignore[call-overload]
        if dir_fd is not None and not os.path.isabs(name):  # the fd-based deletion names entries relative to a folder
            name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
        real = os.path.realpath(name)
        if not real.startswith(allowed + os.sep):
            attempts.append(f"{what} {name}")
            raise AssertionError(f"safety breach: {what} {name}")

    def guarded(what: str, real: Callable[..., Any], fd_key: str | None = None) -> Callable[..., Any]:
        def call(path: object, *a: Any, **k: Any) -> Any:
            check(what, path, k.get(fd_key) if fd_key else None)
            return real(path, *a, **k)

        return call

    monkeypatch.setattr(shutil, "rmtree", guarded("rmtree", shutil.rmtree))
    monkeypatch.setattr(os, "rename", guarded("rename", os.rename, "src_dir_fd"))
    monkeypatch.setattr(os, "rmdir", guarded("rmdir", os.rmdir, "dir_fd"))
    monkeypatch.setattr(os, "unlink", guarded("unlink", os.unlink, "dir_fd"))

    def no_build(*_a: object, **_k: object) -> None:
        attempts.append("create_env")
        raise AssertionError("safety breach: recreate started building")

    monkeypatch.setattr("corral.services.create.create_env", no_build)

    def no_swap(*_a: object) -> bool:
        attempts.append("exchange")
        return False

    monkeypatch.setattr("corral.infra.dirswap.exchange", no_swap)
    return attempts


@contextlib.contextmanager
def _bind_mount(source: Path, point: Path) -> Iterator[bool]:
    """Bind-mount `source` on `point` for the block; yields False where mounting is not permitted."""
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "--bind", str(source), str(point)], capture_output=True, check=False)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(point)], check=False)


class World(TypedDict):
    """The folders one case works in: the stand-ins (`targets`, by name) and the places they must not reach."""

    tmp: Path
    home: Path
    project: Path
    real: Path
    mount_ok: bool
    targets: dict[str, Path]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fake home (with a pyvenv.cfg), a project with its env, and the dangerous stand-ins."""
    home = tmp_path / "home"
    fake_env(home)  # a home folder that looks like an env: still never deletable
    (home / "kernel.json").write_text('{"argv": ["python"], "display_name": "home", "language": "python"}')
    monkeypatch.setenv("HOME", str(home))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1"\n', encoding="utf-8")
    (project / "pyvenv.cfg").write_text(f"home = {os.path.dirname(sys.executable)}\n", encoding="utf-8")
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
    data = tmp_path / "envs" / "data"  # a data folder that happens to hold a pyvenv.cfg with a home line
    data.mkdir()
    (data / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (data / "results.csv").write_text("1,2,3\n", encoding="utf-8")
    lookalike = fake_env(tmp_path / "envs" / "lookalike")  # an env's shape, and the user's own files beside it
    (lookalike / "thesis.tex").write_text("three years of work\n", encoding="utf-8")
    (lookalike / "src").mkdir()
    mounted = fake_env(tmp_path / "envs" / "mounted")  # a real env with somebody's folder bind-mounted inside
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "keep.txt").write_text("on another mount\n", encoding="utf-8")
    with _bind_mount(tmp_path / "shared", mounted / "lib" / "python3.11" / "site-packages" / "shared") as ok:
        yield {
            "tmp": tmp_path,
            "home": home,
            "project": project,
            "real": real_env,
            "mount_ok": ok,
            "targets": {
                "root": Path("/"),
                "home": home,
                "project-root": project,
                "symlink-to-env": link,
                "cfg-and-git": git_env,
                "other-users-env": foreign,
                "dotdot": tmp_path / "envs" / ".." / "envs" / "dd",
                "cfg-only-data": data,
                "env-with-user-files": lookalike,
                "mount-inside": mounted,
            },
        }


def _snapshot(world: World) -> dict[str, dict[str, str]]:
    return {name: tree_digest(world["tmp"] / name) for name in ("home", "proj", "envs", "shared")}


EXPECTED = {  # target -> a word the refusal must contain
    "root": "root",
    "home": "home",
    "project-root": "project",
    "symlink-to-env": "symlink",
    "cfg-and-git": ".git",
    "other-users-env": "another user",
    "dotdot": "..",
    "cfg-only-data": "no interpreter",
    "env-with-user-files": "src/, thesis.tex at its top level",
    "mount-inside": "mount point",
}


def _need_mount(target: str, world: World) -> None:
    if target == "mount-inside" and not world["mount_ok"]:
        pytest.skip("mount --bind is not permitted here (needs root or CAP_SYS_ADMIN)")


@pytest.mark.parametrize("target", TARGETS)
def test_envs_rm_refuses(target: str, corral: Corral, world: World, guard: list[str]) -> None:
    _need_mount(target, world)
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
def test_envs_gc_keeps(target: str, corral: Corral, world: World, guard: list[str]) -> None:
    _need_mount(target, world)
    path = world["targets"][target]
    if path.is_dir() and not path.is_symlink() and target not in {"root", "other-users-env"}:
        record = json.loads((world["real"] / "corral-env.json").read_text())
        record["location"] = str(path)  # corral's own record says it made the env right here
        (path / "corral-env.json").write_text(json.dumps(record))
    before = _snapshot(world)
    old = time.time() - 400 * 86400
    with Store.open(CorralPaths.from_environment()) as store:  # an inventory row naming the target, its project gone
        store.upsert(
            EnvRecord(
                path=str(path),
                kind="script",
                project=str(world["tmp"] / "gone"),
                interpreter=None,
                version=None,
                creator="uv",
                created_at=old,
                last_used=old,
            )
        )
    result = corral("envs", "gc", "--yes", "--older-than", "1d", cwd=world["tmp"])
    assert result.exit_code == 0, result
    assert f"keeping {path}" in result.stderr, result.stderr
    assert EXPECTED[target] in result.stderr.split(f"keeping {path}", 1)[1].splitlines()[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before


def _recreate_project(world: World, venv_dir: str) -> Path:
    project = world["tmp"] / "victim"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "victim"\nversion = "0.1"\n[tool.corral]\nvenv-dir = {json.dumps(venv_dir)}\n'
    )
    return project


@pytest.mark.parametrize("target", TARGETS)
def test_recreate_refuses(
    target: str, corral: Corral, world: World, guard: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _need_mount(target, world)
    path = world["targets"][target]
    if target == "project-root":
        project = world["project"]
        text = (project / "pyproject.toml").read_text() + '[tool.corral]\nvenv-dir = "."\n'
        (project / "pyproject.toml").write_text(text)
    else:  # the user's own setting may point anywhere: safety alone has to refuse
        project = world["tmp"] / "victim"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "victim"\nversion = "0.1"\n')
        monkeypatch.setenv("CORRAL_VENV_DIR", str(path) if target != "dotdot" else "../envs/../envs/dd")
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
def test_kernel_remove_refuses_a_kernelspec_that_is_a_link(
    target: str, corral: Corral, world: World, guard: list[str]
) -> None:
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


@pytest.mark.parametrize(
    "target", ["home", "symlink-to-env", "cfg-only-data", "env-with-user-files", "dotdot", "real-env"]
)
def test_recreate_refuses_a_project_venv_dir_outside(
    target: str, corral: Corral, world: World, guard: list[str]
) -> None:
    """A project file is untrusted: its venv-dir may not name a folder outside the project, not even a real env."""
    path = world["real"] if target == "real-env" else world["targets"][target]
    project = _recreate_project(world, "../envs/../envs/dd" if target == "dotdot" else str(path))
    before = _snapshot(world)
    result = corral("recreate", "--yes", cwd=project)  # sync/venv/run: tests/security/test_venv_dir_trust.py
    assert result.exit_code == 2, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "refusing [tool.corral] venv-dir" in errors[0], result.stderr
    assert "outside the project" in errors[0] and "CORRAL_VENV_DIR" in errors[0], result.stderr
    assert guard == []
    assert _snapshot(world) == before
