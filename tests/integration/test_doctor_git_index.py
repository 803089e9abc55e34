"""Doctor's "is anything in the env tracked" from git's index file: the same findings as `git ls-files`, no process.

`corral.doctor.project.tracked_files` reads the index (`infra.git_index.tracked_under`) and asks git only where
the index holds what that reader leaves to git (version 4, a split index...). A shim on PATH logs every git call,
so each case shows which of the two answered, and that both find the force-added file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = [pytest.mark.integration, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> tuple[Path, Path]:
    """A synced project in a git repository (only pyproject.toml added), git logged by a shim: (root, log)."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    for name in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    git(root, "init", "-q")
    git(root, "add", "pyproject.toml")
    log, shim = tmp_path / "git-calls", tmp_path / "shim"
    shim.mkdir()
    real = shutil.which("git")
    (shim / "git").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n', encoding="utf-8")
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    return root, log


def git(root: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def findings(root: Path) -> dict[str, str]:
    report, _ = diagnose(Context(cwd=root))
    return {f.code: f.message for f in report.findings}


def calls(log: Path) -> str:
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    log.unlink(missing_ok=True)
    return text


def test_a_healthy_git_project_starts_no_git(project: tuple[Path, Path]) -> None:
    root, log = project
    assert "env-tracked" not in findings(root)
    assert calls(log) == ""  # the index said nothing is tracked; the env's `*` .gitignore proved it ignored


@pytest.mark.parametrize(
    ("rewrite", "asks_git"),
    [
        ((), False),
        (("--index-version", "3"), False),
        (("--index-version", "4"), True),
        (("--split-index",), True),
    ],
)
def test_a_force_added_env_file_is_found_from_the_index_or_by_git(
    project: tuple[Path, Path], rewrite: tuple[str, ...], asks_git: bool
) -> None:
    root, log = project
    git(root, "add", "-f", ".venv/pyvenv.cfg", ".venv/bin/python")
    if rewrite:
        git(root, "update-index", *rewrite)
    calls(log)
    found = findings(root)
    assert "2 file(s) of the env are tracked in git (e.g. .venv/bin/python)" in found.get("env-tracked", ""), found
    assert ("ls-files" in calls(log)) is asks_git


def test_without_git_the_index_still_answers(project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = project
    git(root, "add", "-f", ".venv/pyvenv.cfg")
    monkeypatch.setenv("PATH", str(root / "no-programs-here"))
    report, _ = diagnose(Context(cwd=root))
    assert "env-tracked" in report.codes()
    assert report.skipped == ()  # the env's own `*` .gitignore proves the rest: nothing was left unchecked
    (root / ".venv" / ".gitignore").unlink()
    report, _ = diagnose(Context(cwd=root))
    assert "env-tracked" in report.codes()
    assert report.skipped == (
        "git checks: git is not installed, or could not read this repository",
    )  # `check-ignore` needs git
