"""services.project_version.read_state: the lock stamp records the state a version was derived from, once."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

from corral.services.project_version import forget_read_states, read_state, version_key, version_state

if TYPE_CHECKING:
    from pathlib import Path

HATCH: dict[str, Any] = {
    "project": {"name": "demo", "dynamic": ["version"]},
    "tool": {"hatch": {"version": {"path": "src/demo/__about__.py"}}},
}
FILES = ["src/demo/__about__.py"]


def git(root: Path, *args: str) -> None:
    ident = ["-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=root, check=True, capture_output=True)


def tagged_project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__about__.py").write_text('__version__ = "1.0"\n', encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    git(root, "tag", "1.0")
    return root


def test_the_state_read_for_the_version_is_the_one_taken_even_after_a_commit(tmp_path: Path) -> None:
    # given: the version's key read, then a commit moves what git describe says
    root = tagged_project(tmp_path)
    forget_read_states()
    version_key(root, HATCH, "/usr/bin/python3")
    before = version_state(root, [root / f for f in FILES])
    (root / "notes.txt").write_text("x", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two")
    now = version_state(root, [root / f for f in FILES])
    assert now[0] != before[0]
    # when / then: the stamp takes what the version was derived from, once
    assert read_state(root, FILES) == [before[0], before[1]]
    assert read_state(root, FILES) is None


def test_other_files_or_a_forgotten_read_give_nothing(tmp_path: Path) -> None:
    root = tagged_project(tmp_path)
    forget_read_states()
    version_key(root, HATCH, "/usr/bin/python3")
    assert read_state(root, ["VERSION"]) is None
    version_key(root, HATCH, "/usr/bin/python3")
    forget_read_states()
    assert read_state(root, FILES) is None
