"""infra.git_index.tracked_under: git's index read without a git process, checked against real git's answer.

Each case builds a real repository with the installed git and compares the reader's answer with `git
--literal-pathspecs ls-files -z -- FOLDER`; where the index holds anything the reader does not read in full
(version 4, a split or sparse index, a SHA-256 repository, a corrupt, linked or fifo index, a path of 4095+
bytes) it must answer None ("ask git"), never a guess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corral.infra.git_index import tracked_under

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

_EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def _environ(home: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return environ | {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=_environ(root.parent), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _listed(root: Path, folder: str) -> list[str]:
    """What git itself lists at or under `folder`."""
    return [p for p in _git(root, "--literal-pathspecs", "ls-files", "-z", "--", folder).split("\0") if p]


def _repo(tmp_path: Path, *files: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name, encoding="utf-8")
    return root


def _same_as_git(root: Path, *folders: str) -> None:
    for folder in folders:
        assert tracked_under(str(root), folder) == _listed(root, folder), folder


def _version(root: Path) -> int:
    return int.from_bytes((root / ".git" / "index").read_bytes()[4:8], "big")


def test_force_added_files_in_the_env_are_listed_as_git_lists_them(tmp_path: Path) -> None:
    root = _repo(tmp_path, ".venv/pyvenv.cfg", ".venv/bin/pip", ".venvx/f", "a/.venv/g", "src/a.py", ".venv/.gitignore")
    (root / ".venv" / ".gitignore").write_text("*\n", encoding="utf-8")
    _git(root, "add", "src", ".venvx", "a")
    assert _version(root) == 2
    assert tracked_under(str(root), ".venv") == []  # `.venvx` and `a/.venv` are other folders
    _same_as_git(root, ".venv", ".venvx", "a/.venv", "a", "src", "nothing")
    _git(root, "add", "-f", ".venv/bin/pip", ".venv/pyvenv.cfg")
    assert tracked_under(str(root), ".venv") == [".venv/bin/pip", ".venv/pyvenv.cfg"]
    _same_as_git(root, ".venv", ".venv/bin", ".venvx", "a/.venv")


def test_version_3_entries_skip_worktree_and_intent_to_add(tmp_path: Path) -> None:
    root = _repo(tmp_path, ".venv/x", ".venv/new", "src/a.py")
    _git(root, "add", "-f", ".venv/x", "src/a.py")
    _git(root, "add", "-N", "-f", ".venv/new")
    _git(root, "update-index", "--skip-worktree", "src/a.py")
    assert _version(root) == 3
    assert tracked_under(str(root), ".venv") == [".venv/new", ".venv/x"]
    _same_as_git(root, ".venv", "src", ".venv/new")


def test_a_merge_conflict_lists_each_stage_as_git_does(tmp_path: Path) -> None:
    root = _repo(tmp_path, ".venv/x")
    _git(root, "add", "-f", ".venv/x")
    _git(root, "commit", "-q", "-m", "a")
    _git(root, "checkout", "-q", "-b", "other")
    (root / ".venv" / "x").write_text("other", encoding="utf-8")
    _git(root, "commit", "-q", "-am", "b")
    _git(root, "checkout", "-q", "main")
    (root / ".venv" / "x").write_text("main", encoding="utf-8")
    _git(root, "commit", "-q", "-am", "c")
    subprocess.run(["git", "merge", "-q", "other"], cwd=root, env=_environ(tmp_path), capture_output=True, check=False)
    assert tracked_under(str(root), ".venv") == [".venv/x"] * 3
    _same_as_git(root, ".venv")


def test_an_env_that_is_a_submodule_or_a_tracked_link_is_tracked(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    _git(sub, "init", "-q")
    (sub / "f").write_text("f", encoding="utf-8")
    _git(sub, "add", "f")
    _git(sub, "commit", "-q", "-m", "s")
    root = _repo(tmp_path)
    _git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), ".venv")
    assert tracked_under(str(root), ".venv") == [".venv"]  # the gitlink
    _same_as_git(root, ".venv", ".venv/f", ".gitmodules")
    (root / "real").mkdir()
    (root / "env").symlink_to("real")
    _git(root, "add", "env")
    assert tracked_under(str(root), "env") == ["env"]
    # the submodule's own work tree: its index is found through its `.git` file
    inner = root / ".venv"
    assert (inner / ".git").is_file()
    (inner / ".venv").mkdir()
    (inner / ".venv" / "q").write_text("q", encoding="utf-8")
    _git(inner, "add", "-f", ".venv/q")
    assert tracked_under(str(inner), ".venv") == [".venv/q"]
    _same_as_git(inner, ".venv", "f")


def test_a_worktree_index_is_found_through_its_git_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, "src/a.py")
    _git(root, "add", "src")
    _git(root, "commit", "-q", "-m", "a")
    _git(root, "worktree", "add", "-q", str(tmp_path / "wt"))
    tree = tmp_path / "wt"
    (tree / ".venv").mkdir()
    (tree / ".venv" / "z").write_text("z", encoding="utf-8")
    _git(tree, "add", "-f", ".venv/z")
    assert tracked_under(str(tree), ".venv") == [".venv/z"]
    assert tracked_under(str(root), ".venv") == []
    _same_as_git(tree, ".venv", "src")


def test_a_non_cone_sparse_checkout_is_read_a_sparse_index_is_git_s(tmp_path: Path) -> None:
    root = _repo(tmp_path, "a/.venv/x", "b/.venv/y", "top")
    _git(root, "add", "-f", ".")
    _git(root, "commit", "-q", "-m", "x")
    _git(root, "sparse-checkout", "set", "--no-cone", "/a/")
    assert tracked_under(str(root), "b/.venv") == ["b/.venv/y"]  # skip-worktree: still tracked
    _same_as_git(root, "a/.venv", "b/.venv")
    _git(root, "sparse-checkout", "set", "--cone", "--sparse-index", "a")
    assert b"sdir" in (root / ".git" / "index").read_bytes()
    assert tracked_under(str(root), "b/.venv") is None  # `b/` is one folder entry: only git lists what it holds
    assert tracked_under(str(root), "a/.venv") is None
    assert _listed(root, "b/.venv") == ["b/.venv/y"]


@pytest.mark.parametrize("how", ["version-4", "split-index"])
def test_a_compressed_or_split_index_is_left_to_git(tmp_path: Path, how: str) -> None:
    root = _repo(tmp_path, ".venv/x", "src/a.py")
    _git(root, "add", "-f", ".venv/x", "src/a.py")
    if how == "version-4":
        _git(root, "update-index", "--index-version", "4")
        assert _version(root) == 4
    else:
        _git(root, "update-index", "--split-index")
        assert any(p.name.startswith("sharedindex.") for p in (root / ".git").iterdir())
    assert tracked_under(str(root), ".venv") is None
    assert _listed(root, ".venv") == [".venv/x"]
    _git(root, "update-index", "--index-version", "2", "--no-split-index")
    _same_as_git(root, ".venv", "src")  # read again once git wrote a plain index


def test_a_sha256_repository_is_left_to_git(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "--object-format=sha256")
    (root / ".venv").mkdir()
    (root / ".venv" / "a").write_text("a", encoding="utf-8")
    _git(root, "add", "-f", ".venv/a")
    assert tracked_under(str(root), ".venv") is None  # its checksum is no SHA-1 of the content
    assert _listed(root, ".venv") == [".venv/a"]


def test_a_path_of_4095_bytes_or_more_is_left_to_git(tmp_path: Path) -> None:
    root = _repo(tmp_path, ".venv/short")
    _git(root, "add", "-f", ".venv/short")
    long_path = ".venv/" + "y" * 5000
    _git(root, "update-index", "--add", "--cacheinfo", f"100644,{_EMPTY_BLOB},{long_path}")
    assert tracked_under(str(root), ".venv") is None
    assert len(_listed(root, ".venv")) == 2
    _git(root, "update-index", "--force-remove", long_path)
    _same_as_git(root, ".venv")


def test_a_damaged_linked_fifo_or_missing_index_is_left_to_git(tmp_path: Path) -> None:
    root = _repo(tmp_path, ".venv/x")
    _git(root, "add", "-f", ".venv/x")
    index = root / ".git" / "index"
    good = index.read_bytes()
    assert tracked_under(str(root), ".venv") == [".venv/x"]
    index.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])  # its checksum no longer holds
    assert tracked_under(str(root), ".venv") is None
    index.write_bytes(good[:-30] + good[-20:])  # cut short: `.venv` is no longer in its bytes
    assert tracked_under(str(root), ".venv") == [] == _listed(root, ".venv")  # git reads a garbled path, not ours
    (tmp_path / "elsewhere").write_bytes(good)
    index.unlink()
    index.symlink_to(tmp_path / "elsewhere")
    assert tracked_under(str(root), ".venv") is None
    index.unlink()
    os.mkfifo(index)
    assert tracked_under(str(root), ".venv") is None  # no wait for a writer
    index.unlink()
    assert tracked_under(str(root), ".venv") is None  # git may find another repository above


def test_a_crafted_index_git_would_not_read_the_same_way_is_left_to_git(tmp_path: Path) -> None:
    """Entries out of git's order, an unknown flag, a required extension, a path without its NUL: None."""
    import hashlib

    root = _repo(tmp_path, ".venv/a", ".venv/b")
    _git(root, "add", "-f", ".venv/a", ".venv/b")
    index = root / ".git" / "index"
    body = bytearray(index.read_bytes()[:-20])
    assert tracked_under(str(root), ".venv") == [".venv/a", ".venv/b"]

    def written(data: bytes) -> list[str] | None:
        index.write_bytes(data + hashlib.sha1(data, usedforsecurity=False).digest())
        return tracked_under(str(root), ".venv")

    entry = 62 + len(".venv/a") + 1  # each path is 7 bytes: both entries are 72 bytes long
    entry += -entry % 8
    first, second = body[12 : 12 + entry], body[12 + entry : 12 + 2 * entry]
    assert written(bytes(body[:12] + second + first + body[12 + 2 * entry :])) is None  # b before a
    flagged = bytearray(body)
    flagged[12 + 60] |= 0x80  # assume-valid: a flag git knows and keeps listing
    assert written(bytes(flagged)) == [".venv/a", ".venv/b"]
    extended = bytearray(body)
    extended[12 + 60] |= 0x40  # the extended flag in a version 2 index
    assert written(bytes(extended)) is None
    padded = bytearray(body)
    padded[12 + 62 + 7 + 1] = 0x41  # padding after the path's NUL: git skips it too
    assert written(bytes(padded)) == [".venv/a", ".venv/b"]
    padded[12 + 62 + 7] = 0x41  # no NUL after the path
    assert written(bytes(padded)) is None
    assert written(bytes(body) + b"link" + (0).to_bytes(4, "big")) is None  # a split index's extension
    assert written(bytes(body) + b"ZZZZ" + (0).to_bytes(4, "big")) == [".venv/a", ".venv/b"]  # optional: skipped
    assert written(bytes(body) + b"TREE" + (99).to_bytes(4, "big")) is None  # longer than the file
    assert written(bytes(body)) == [".venv/a", ".venv/b"]


@pytest.mark.parametrize("folder", ["", ".", "./.venv", ".venv/", "a//b", "../x", "caf\u00e9"])
def test_a_folder_git_would_normalise_is_left_to_git(tmp_path: Path, folder: str) -> None:
    root = _repo(tmp_path, "x")
    _git(root, "add", "x")
    assert tracked_under(str(root), folder) is None


def test_outside_any_work_tree_there_is_no_answer(tmp_path: Path) -> None:
    assert tracked_under(str(tmp_path), ".venv") is None


def test_the_checksum_is_the_same_with_or_without_hashlib_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before hashlib (OpenSSL) is imported, CPython's own `_sha1` checks an index of up to 1 MiB."""
    import hashlib
    import sys

    from corral.infra import git_index

    data = bytes(range(256)) * 5000  # over 1 MiB: hashlib's
    expected = {n: hashlib.sha1(data[:n], usedforsecurity=False).digest() for n in (0, 3, 1 << 20, len(data))}
    monkeypatch.delitem(sys.modules, "hashlib")
    for size, digest in expected.items():
        assert git_index._sha1(memoryview(data)[:size]) == digest  # noqa: SLF001 - the checksum alone
