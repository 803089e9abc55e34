"""`corral lock`, with `--check` or not, refuses before any work a pylock.toml that is a fifo (never waited on),
a folder, or a symlink leading out of the project (README: "a link leading out is refused before any work"): one
error line naming it, exit 1, the same for both; nothing outside the project is read as the lock or changed. A link
to a file inside the project is still followed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ

pytestmark = pytest.mark.integration

FORMS = [["lock", "--check"], ["lock"], ["lock", "-q"], ["lock", "--check", "--json"]]
READERS = [["sync", "--locked"], ["sync"], ["sync", "--frozen"]]  # they read the lock (a link out is read)


def _corral(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        corral_cmd(*args), cwd=cwd, env=subprocess_environ(), capture_output=True, text=True, check=False, timeout=60
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with no dependencies, locked once (so a stamp and a no-op answer exist)."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject(), encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    done = _corral("lock", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize("argv", FORMS + READERS, ids=" ".join)
@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_lock_that_is_no_file_is_refused(project: Path, argv: list[str], kind: str) -> None:
    lock = project / "pylock.toml"
    lock.unlink()
    os.mkfifo(lock) if kind == "fifo" else lock.mkdir()
    done = _corral(*argv, cwd=project)  # the timeout fails a wait on the fifo
    assert done.returncode == 1, done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert f"pylock.toml: a {kind}, not a regular file" in error
    assert "does not exist" not in error
    assert "there is no pylock.toml yet" not in done.stderr  # a sync's progress line said so before the error
    if "--json" in argv:
        assert json.loads(done.stdout)["ok"] is False
    assert lock.is_dir() if kind == "folder" else lock.is_fifo()  # left as it was


@pytest.mark.parametrize("argv", FORMS, ids=" ".join)
def test_a_lock_linked_out_of_the_project_is_refused_by_check_and_lock_alike(
    project: Path, tmp_path: Path, argv: list[str]
) -> None:
    lock = project / "pylock.toml"
    outside = tmp_path / "elsewhere.toml"
    lock.rename(outside)  # the very lock corral wrote (the stamp matches it), now outside behind a link
    before = outside.read_bytes()
    lock.symlink_to(outside)
    done = _corral(*argv, cwd=project)
    assert done.returncode == 1, done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "is a symlink to" in error
    assert "outside the project" in error
    assert "resolving" not in done.stderr  # before any work
    assert outside.read_bytes() == before
    assert lock.is_symlink()


def test_a_lock_linked_inside_the_project_is_followed(project: Path) -> None:
    lock = project / "pylock.toml"
    (project / "locks").mkdir()
    lock.rename(project / "locks" / "pylock.toml")
    lock.symlink_to(Path("locks") / "pylock.toml")
    for argv in (["lock", "--check"], ["lock"]):
        done = _corral(*argv, cwd=project)
        assert done.returncode == 0, done.stderr
    assert lock.is_symlink()


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_doctor_names_a_lock_that_is_no_file(project: Path, kind: str) -> None:
    synced = _corral("sync", "-q", cwd=project)
    assert synced.returncode == 0, synced.stderr
    lock = project / "pylock.toml"
    lock.unlink()
    os.mkfifo(lock) if kind == "fifo" else lock.mkdir()
    done = _corral("doctor", cwd=project)  # the timeout fails a wait on the fifo
    assert done.returncode == 1, done.stdout + done.stderr
    assert "lock-unreadable:" in done.stdout and "is not a regular file" in done.stdout, done.stdout
    assert "lock-missing" not in done.stdout  # "no lock: run corral lock", which fails on it
