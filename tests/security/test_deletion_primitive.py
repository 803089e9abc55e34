"""infra.rmtree, the one deletion primitive: no symlink followed, no mount crossed, the folder that was checked.

Mounts are real (bind mounts from the same file system, which share st_dev, and tmpfs, which does not); where
`mount` is not permitted these tests are skipped. The walk's own guard is tested by hiding the up-front mount
list (`mounts_below`) from it, as on a system without /proc or a mount made after the check: the walk must
still leave every mount whole.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest
from deletion_support import mounted

from corral.infra import rmtree
from corral.infra.rmtree import MountInside, OpenedTree, TreeChanged, remove_tree
from support.reliability import fake_env, tree_digest

NOBODY = 65534


def _tree(root: Path) -> Path:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_text("x", encoding="utf-8")
    (root / "top.txt").write_text("y", encoding="utf-8")
    return root


def test_deletes_a_tree_and_never_follows_a_symlink(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside")
    before = tree_digest(outside)
    root = _tree(tmp_path / "root")
    (root / "a" / "to-dir").symlink_to(outside, target_is_directory=True)
    (root / "to-file").symlink_to(outside / "top.txt")
    (root / "dangling").symlink_to(tmp_path / "nothing")
    remove_tree(root)
    assert not os.path.lexists(root)
    assert tree_digest(outside) == before


def test_refuses_a_symlink_given_as_the_tree(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside")
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(TreeChanged, match="symlink"):
        remove_tree(tmp_path / "link")
    assert (outside / "a" / "b" / "f.txt").is_file()


def test_a_parent_that_is_a_symlink_is_resolved_first(tmp_path: Path) -> None:
    real = _tree(tmp_path / "real" / "tree").parent
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    remove_tree(tmp_path / "alias" / "tree")
    assert not (real / "tree").exists()


def test_opening_another_folder_than_the_one_checked_deletes_nothing(tmp_path: Path) -> None:
    root = _tree(tmp_path / "root")
    other = _tree(tmp_path / "other")
    checked = os.lstat(other)
    with pytest.raises(TreeChanged, match="no longer the folder that was checked"):
        OpenedTree.open(root, expect=(checked.st_dev, checked.st_ino))
    assert (root / "a" / "b" / "f.txt").is_file()


def test_a_rename_that_moved_something_else_is_undone(tmp_path: Path) -> None:
    root = _tree(tmp_path / "root")
    with OpenedTree.open(root) as tree:
        os.rename(root, tmp_path / "moved-away")  # the folder opened is gone from its name...
        _tree(tmp_path / "root")  # ...and another folder took the name before corral's rename
        with pytest.raises(TreeChanged, match="replaced while being renamed"):
            tree.rename(".root.corral-trash-00000000")
    assert (tmp_path / "root" / "top.txt").is_file()
    assert not (tmp_path / ".root.corral-trash-00000000").exists()
    assert (tmp_path / "moved-away" / "top.txt").is_file()


def test_deletes_read_only_folders_as_their_owner(tmp_path: Path) -> None:
    if os.geteuid() != 0:  # pragma: no cover - the CI containers run as root
        pytest.skip("needs root to switch to the user nobody")
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="corral-rmtree-"))  # tmp_path's parents are root-only
    try:
        os.chmod(base, 0o755)  # noqa: S103 - nobody must reach the tree inside
        os.chown(base, NOBODY, NOBODY)  # the folder holding the tree is nobody's too, or the last rmdir fails
        root = _tree(base / "root")
        (root / "a" / "locked").mkdir()
        (root / "a" / "locked" / "f").write_text("z", encoding="utf-8")
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [*dirnames, *filenames, "."]:
                os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)
        os.chmod(root / "a" / "locked", 0)  # not even listable: opened through O_PATH, then chmod
        os.chmod(root / "a" / "b", stat.S_IRUSR | stat.S_IXUSR)  # listable, entries not removable
        os.chmod(root / "a", stat.S_IRUSR | stat.S_IXUSR)
        pid = os.fork()
        if pid == 0:  # the child becomes nobody and deletes; its exit code says how that went
            code = 1
            try:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                remove_tree(root)
                code = 0
            except BaseException as err:  # noqa: BLE001 - reported to the parent through stderr and the exit code
                os.write(2, f"child: {err!r}\n".encode())
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert not root.exists()
    finally:
        remove_tree(base, ignore_errors=True)


@pytest.mark.parametrize("kind", ["bind", "tmpfs"])
def test_a_mount_inside_stops_the_deletion_before_anything_is_deleted(tmp_path: Path, kind: str) -> None:
    env = fake_env(tmp_path / "env")
    shared = _tree(tmp_path / "shared")
    point = env / "lib" / "python3.11" / "site-packages" / "mnt"
    with mounted(point, source=shared if kind == "bind" else None):
        (point / "on-the-mount.txt").write_text("keep", encoding="utf-8")
        env_before, shared_before = tree_digest(env), tree_digest(shared)
        with pytest.raises(MountInside, match="mount point is inside") as caught:
            remove_tree(env)
        assert caught.value.mounts == [str(point)]
        assert tree_digest(env) == env_before  # not one file deleted
        assert tree_digest(shared) == shared_before


@pytest.mark.parametrize("kind", ["bind", "tmpfs"])
def test_the_walk_itself_never_crosses_a_mount(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a mount the up-front check cannot see (no /proc/self/mountinfo, or mounted after the check)
    monkeypatch.setattr(rmtree, "mounts_below", lambda _fd: [])
    env = fake_env(tmp_path / "env")
    shared = _tree(tmp_path / "shared")
    point = env / "lib" / "python3.11" / "site-packages" / "mnt"
    with mounted(point, source=shared if kind == "bind" else None):
        (point / "on-the-mount.txt").write_text("keep", encoding="utf-8")
        mount_before = tree_digest(point)
        # when the tree is deleted
        with pytest.raises(MountInside) as caught:
            remove_tree(env)
        # then the mount and the folders holding it stay, untouched; everything else is gone
        assert caught.value.mounts == [str(point)]
        assert tree_digest(point) == mount_before
        assert sorted(os.listdir(env)) == ["lib"]
        assert os.listdir(env / "lib" / "python3.11" / "site-packages") == ["mnt"]


def test_a_file_mount_inside_is_left_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rmtree, "mounts_below", lambda _fd: [])
    env = fake_env(tmp_path / "env")
    secret = tmp_path / "secret.txt"
    secret.write_text("mine", encoding="utf-8")
    point = env / "bin" / "secret.txt"
    point.write_text("", encoding="utf-8")
    with mounted(point, source=secret):
        with pytest.raises(MountInside):
            remove_tree(env)
        assert point.read_text(encoding="utf-8") == "mine"
    assert secret.read_text(encoding="utf-8") == "mine"
