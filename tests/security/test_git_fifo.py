"""A repository that ships a fifo where git reads first: corral does not ask git (git would wait on it).

`git` opens HEAD, its settings, the index and packed-refs before anything else; a fifo there blocks it until
corral's time limit (10 s for doctor's checks, 40 s for `git describe`), each time. `infra.git` sees it first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from corral.infra.git import git_command, plain_git_folder, safe_options
from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not hasattr(os, "mkfifo"), reason="needs git, fifos")


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n', encoding="utf-8")
    return root


@pytest.mark.parametrize("name", ["index", "HEAD", "packed-refs", "config", "info/attributes"])
def test_a_fifo_where_git_reads_first_means_git_is_not_asked(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path)
    target = root / ".git" / name
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    sub = root / "src"
    sub.mkdir()
    assert not plain_git_folder(str(sub))
    assert git_command(["-C", str(root), "ls-files"]) is None
    assert safe_options(shutil.which("git") or "git", str(root), os.environ) is None


def test_a_fifo_dot_git_and_a_plain_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    assert plain_git_folder(str(root))
    assert git_command(["-C", str(root), "ls-files"]) is not None
    odd = tmp_path / "odd"
    odd.mkdir()
    os.mkfifo(odd / ".git")
    assert not plain_git_folder(str(odd))
    assert plain_git_folder(str(tmp_path / "nowhere"))  # no repository: git finds none (or another, above)


def test_doctor_answers_at_once_beside_a_fifo_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object
) -> None:
    """A synced project in a repository whose index is a fifo: doctor skips git's checks, without the 10 s wait."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    os.mkfifo(root / ".git" / "index")
    started = time.monotonic()
    report, _ = diagnose(Context(cwd=root))
    took = time.monotonic() - started
    assert took < 8  # git waited 10 s on the fifo, then was killed
    assert any("could not read this repository" in line for line in report.skipped), report.skipped
