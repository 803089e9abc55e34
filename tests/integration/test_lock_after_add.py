"""`corral lock` right after `corral add`/`remove` in a git repository: a no-op when the project's version cannot
have moved, a resolution when it can.

`add` edits the tracked pyproject.toml, so `git describe --dirty` turns dirty. typer-like's version is read from
`typer_like/__init__.py` (setuptools' static `attr:`, as pdm-backend's `source = "file"` and flit read typer's and
packaging's): git is no input of it, and the next lock must not ask the build backend or uv again (it did: the
stamp's version input held `git describe`). pluggy-like's version comes from git through setuptools-scm, where
the dirty flag does change it (1.6.1.dev1+g<sha> -> ...d<date>): that lock must resolve again.

Real git, real uv, real setuptools and setuptools-scm from the local index; what ran is read from infra.faults'
checkpoint log.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest
from test_lock_project import copy_project, git, indexed, pluggy_like

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def typer_like_in_git(tmp_path: Path) -> Path:
    """typer-like committed to a fresh repository, its working tree clean."""
    root = copy_project("typer-like", tmp_path)
    git(root, "init", "-q")
    git(root, "add", "pyproject.toml", "typer_like")
    git(root, "commit", "-q", "-m", "first")
    return root


def described(root: Path) -> str:
    done = subprocess.run(
        ["git", "describe", "--tags", "--long", "--always", "--dirty"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def lock_run(corral: Corral, root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], dict[str, object]]:
    """`corral lock --json`: (the checkpoints it passed, its report)."""
    log = root.parent / "faults.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = corral("lock", "--json", cwd=root)
    monkeypatch.delenv("CORRAL_FAULT_LOG")
    assert result.exit_code == 0, result.stderr
    ran = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return ran, json.loads(result.stdout)["data"]


def test_lock_right_after_add_is_a_no_op_when_the_version_is_read_from_a_file(
    tmp_path: Path, corral: Corral, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a clean repository, locked; smokeshow-lite (in a group) needs typer-like>=0.12, so the version counts
    root = typer_like_in_git(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    clean = described(root)
    # when: `corral add` edits the tracked pyproject.toml, then `corral lock`
    added = corral("add", "--group", "github-actions", "alpha", cwd=root)
    assert added.exit_code == 0, added.stderr
    assert described(root) == f"{clean}-dirty"  # the premise: git now says dirty
    ran, report = lock_run(corral, root, monkeypatch)
    # then: neither the build backend nor uv was asked again
    assert not [step for step in ran if step.startswith("engine:")], ran
    assert report["written"] is False
    # and the lock is what a fresh lock writes now, to the byte
    kept = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").unlink()
    ran, report = lock_run(corral, root, monkeypatch)
    assert "engine:uv lock" in ran and report["written"] is True
    assert (root / "pylock.toml").read_bytes() == kept


def test_lock_right_after_remove_is_a_no_op_when_the_version_is_read_from_a_file(
    tmp_path: Path, corral: Corral, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an added package committed, the tree clean
    root = typer_like_in_git(tmp_path)
    assert corral("add", "--group", "github-actions", "alpha", cwd=root).exit_code == 0
    git(root, "commit", "-q", "-am", "alpha")
    # when: `corral remove` dirties the tree again
    removed = corral("remove", "--group", "github-actions", "alpha", cwd=root)
    assert removed.exit_code == 0, removed.stderr
    assert described(root).endswith("-dirty")
    ran, report = lock_run(corral, root, monkeypatch)
    # then
    assert not [step for step in ran if step.startswith("engine:")], ran
    assert report["written"] is False


def test_an_edit_of_the_version_file_after_add_is_seen(
    tmp_path: Path, corral: Corral, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = typer_like_in_git(tmp_path)
    assert corral("add", "--group", "github-actions", "alpha", cwd=root).exit_code == 0
    assert not [s for s in lock_run(corral, root, monkeypatch)[0] if s.startswith("engine:")]
    # when: the version drops below what smokeshow-lite accepts
    init = root / "typer_like" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace("0.24.1", "0.11.0"), encoding="utf-8")
    result = corral("lock", cwd=root)
    # then: resolved at the new version, which smokeshow-lite refuses
    assert result.exit_code == 1
    assert "smokeshow-lite" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("setup.py", "from setuptools import setup\nsetup()\n"),  # code of the project's, run by the backend
        ("setup.cfg", "[metadata]\n"),  # setuptools reads it (plugins, egg_info tags)
    ],
)
def test_a_file_that_lets_git_count_again_is_seen(
    tmp_path: Path, corral: Corral, indexed: object, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    # given: the no-op after add, proven
    root = typer_like_in_git(tmp_path)
    assert corral("add", "--group", "github-actions", "alpha", cwd=root).exit_code == 0
    assert not [s for s in lock_run(corral, root, monkeypatch)[0] if s.startswith("engine:")]
    # when: a file appears that lets the backend run the project's code or read more settings (untracked)
    (root / name).write_text(text, encoding="utf-8")
    ran, _ = lock_run(corral, root, monkeypatch)
    # then: the version is asked again, and the lock resolved
    assert "engine:build backend" in ran and "engine:uv lock" in ran


def test_lock_right_after_add_resolves_again_when_the_version_comes_from_git(
    tmp_path: Path, corral: Corral, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: pytest-lite 9.0 needs pluggy-like>=1.5,<2; its version comes from setuptools-scm
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    # when: add dirties the tree, which setuptools-scm puts into the version (a local label with the date)
    assert corral("add", "--group", "testing", "alpha", cwd=root).exit_code == 0
    assert described(root).endswith("-dirty")
    ran, report = lock_run(corral, root, monkeypatch)
    # then: the version changed, so the lock is resolved again (and comes out the same)
    assert "engine:build backend" in ran and "engine:uv lock" in ran
    assert report["written"] is False
