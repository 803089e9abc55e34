"""`-q` on the commands that change an env (sync, add, remove): errors and warnings only, as `uv sync -q` and
`pip install -q` print. Without `-q` the same commands list what changed, so each assertion can fail."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from support.indexed import indexed_project

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


def test_sync_add_remove_quiet_print_nothing_when_they_succeed(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    root = indexed_project(tmp_path, monkeypatch, local_index)
    added = corral("add", "-q", "beta", cwd=root)
    assert (added.exit_code, added.stdout, added.stderr) == (0, "", "")
    shutil.rmtree(root / ".venv")
    quiet = corral("sync", "-q", cwd=root)  # a new env: alpha and beta installed
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert (root / ".venv" / "corral-sync.json").is_file()
    shutil.rmtree(root / ".venv")
    loud = corral("sync", cwd=root)  # the same sync without -q lists both and sums up
    assert loud.exit_code == 0, loud.stderr
    assert loud.stdout.splitlines() == [" + alpha 2.0", " + beta 1.0"]
    assert "2 installed, 0 changed, 0 removed" in loud.stderr
    removed = corral("remove", "-q", "beta", cwd=root)
    assert (removed.exit_code, removed.stdout, removed.stderr) == (0, "", "")
    again = corral("add", "beta", cwd=root)
    assert again.exit_code == 0
    assert "+ beta 1.0" in again.stderr.splitlines()


def test_quiet_sync_still_says_why_it_failed(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    root = indexed_project(tmp_path, monkeypatch, local_index)
    assert corral("add", "-q", "beta", cwd=root).exit_code == 0
    failed = corral("sync", "-q", "--group", "nosuchgroup", cwd=root)
    assert failed.exit_code != 0
    assert failed.stdout == ""
    assert "nosuchgroup" in failed.stderr
