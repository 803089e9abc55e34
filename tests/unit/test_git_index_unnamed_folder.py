"""`infra.git_index.tracked_under` for a folder its index file does not name: [] without checking the checksum.

Versions 2 and 3 hold every path whole, so an index whose bytes nowhere spell the folder tracks nothing under
it, and git agrees: it lists nothing under it, whatever else it reads from a damaged index (git does not check
the checksum when it reads), or it refuses the index, which lists nothing too (a git that fails lists nothing in
doctor's reading). The checksum (~56 instructions a byte) is computed only when the folder's name is there; then
a damaged index is still git's to read (None).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from corral.infra.git_index import tracked_under

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def _repo(tmp_path: Path, *args: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    assert _git(root, "init", "-q", *args).returncode == 0
    (root / "src").mkdir()
    (root / "src" / "a.py").write_text("a = 1\n", encoding="utf-8")
    assert _git(root, "add", "src/a.py").returncode == 0
    return root


def _listed_by_git(root: Path, folder: str) -> list[str]:
    done = _git(root, "--literal-pathspecs", "ls-files", "-z", "--", folder)
    return [name for name in done.stdout.split("\0") if name] if done.returncode == 0 else []


def test_a_damaged_index_that_does_not_name_the_folder_tracks_nothing_under_it(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    index = root / ".git" / "index"
    good = index.read_bytes()
    assert tracked_under(str(root), "src") == ["src/a.py"]
    index.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # the checksum no longer holds (git reads it anyway)
    assert tracked_under(str(root), ".venv") == [] == _listed_by_git(root, ".venv")
    index.write_bytes(good[:40] + b"\xff" * (len(good) - 60) + good[-20:])  # entries garbled
    assert tracked_under(str(root), ".venv") == [] == _listed_by_git(root, ".venv")
    index.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert tracked_under(str(root), "src") is None  # named, and the checksum does not hold: git's to read


def test_a_sha256_index_that_does_not_name_the_folder_tracks_nothing_under_it(tmp_path: Path) -> None:
    root = _repo(tmp_path, "--object-format=sha256")
    assert tracked_under(str(root), ".venv") == [] == _listed_by_git(root, ".venv")
    assert tracked_under(str(root), "src") is None  # its checksum is no SHA-1: git lists it
    assert _listed_by_git(root, "src") == ["src/a.py"]


def test_the_name_anywhere_in_the_file_means_the_checksum_is_checked(tmp_path: Path) -> None:
    """`.venv` inside another path (`src/.venv-notes`) is the folder's name in the bytes: no shortcut."""
    root = _repo(tmp_path)
    (root / "src" / ".venv-notes").write_text("n\n", encoding="utf-8")
    assert _git(root, "add", "src/.venv-notes").returncode == 0
    assert tracked_under(str(root), ".venv") == [] == _listed_by_git(root, ".venv")
    index = root / ".git" / "index"
    good = index.read_bytes()
    index.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert tracked_under(str(root), ".venv") is None
