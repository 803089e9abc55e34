"""The one way corral deletes a folder tree: through directory file descriptors, never across a mount.

    with OpenedTree.open(path, expect=(st_dev, st_ino)) as tree:  # no symlink; the folder that was checked
        tree.rename(".env.corral-trash-1234abcd")                # optional: a sibling name, identity re-checked
        tree.delete()                                            # its contents, then the folder itself

    remove_tree(path)                                            # the same in one call

After the open every step goes through file descriptors (`dir_fd`, `O_NOFOLLOW`): swapping the folder or one
of its parents for a symlink cannot redirect the deletion, a symlink inside is unlinked and never followed,
and a folder on another device or mount (st_dev, and the Linux mount id, which tells bind mounts apart) is left
whole. A mount point found before anything is deleted stops the deletion at once (MountInside). Read-only
folders are made writable through their descriptor. Windows has no `dir_fd`: there shutil.rmtree deletes
the tree (it does not follow symlinks or junctions).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "FD_DELETE",
    "MountInside",
    "OpenedTree",
    "TreeChanged",
    "identity",
    "mount_id",
    "mounts_below",
    "open_folder",
    "remove_tree",
]

# Every POSIX system with O_DIRECTORY and O_NOFOLLOW has openat/unlinkat/renameat (decided by name, not by
# identity in os.supports_dir_fd, so a wrapped os.unlink cannot switch deletion to the path-based fallback).
FD_DELETE: Final = os.name == "posix" and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")
_DIR_FLAGS: Final = (
    os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)
_NOT_A_FOLDER: Final = {errno.ELOOP, errno.ENOTDIR, errno.EMLINK}  # EMLINK: FreeBSD's answer for O_NOFOLLOW
_MOUNTINFO: Final = "/proc/self/mountinfo"
_SHOWN: Final = 3  # mount points named in a message


class TreeChanged(OSError):
    """The folder at the path is no longer the one that was checked (moved, replaced or made a symlink)."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(errno.ESTALE, what, path)


class MountInside(OSError):
    """A mount point is inside the folder: it was left whole (nothing of it was touched)."""

    def __init__(self, path: str, mounts: list[str]) -> None:
        self.mounts = mounts
        shown = ", ".join(mounts[:_SHOWN]) + (f" and {len(mounts) - _SHOWN} more" if len(mounts) > _SHOWN else "")
        what = (
            f"a mount point is inside it ({shown}); nothing of the mount was touched: "
            "unmount it first, then delete again"
        )
        super().__init__(errno.EBUSY, what, path)


def identity(st: os.stat_result) -> tuple[int, int]:
    """(st_dev, st_ino): what names one folder for as long as it exists."""
    return st.st_dev, st.st_ino


def open_folder(name: str, *, dir_fd: int | None = None) -> int:
    """Open a folder read-only without following a symlink at its last component (`dir_fd`: relative to it)."""
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def mount_id(fd: int) -> int | None:
    """The Linux mount id of an open file (bind mounts on one file system differ here, not in st_dev)."""
    try:
        with open(f"/proc/self/fdinfo/{fd}", "rb") as handle:
            for line in handle:
                if line.startswith(b"mnt_id:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _unescape(field_text: bytes) -> str:
    return os.fsdecode(re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), field_text))


def mounts_below(fd: int) -> list[str]:
    """Mount points strictly inside the open folder `fd` (Linux; elsewhere only the walk's st_dev check applies)."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
        with open(_MOUNTINFO, "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    prefix = real.rstrip("/") + "/"
    found = []
    for line in lines:
        fields = line.split(b" ")
        if len(fields) > 4:  # noqa: PLR2004 - field 5 of mountinfo is the mount point
            point = _unescape(fields[4])
            if point.startswith(prefix):
                found.append(point)
    return sorted(found)


@dataclass(slots=True)
class _Frame:
    """A folder being emptied: its fd, its path for messages, the names left, its name in its parent."""

    fd: int
    path: str
    todo: list[str]
    name: str | None
    kept: bool = field(default=False)  # something inside was left (a mount): the folder stays


@final
class OpenedTree:
    """A folder opened for deletion: its parent's fd, its own fd and its identity."""

    def __init__(self, path: str, parent_fd: int | None, fd: int | None, st: os.stat_result) -> None:
        self.path = path
        self.name = os.path.basename(path)
        self.parent_fd = parent_fd
        self.fd = fd
        self.identity = identity(st)
        self._st = st

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, expect: tuple[int, int] | None = None) -> OpenedTree:
        """Open `path` (a real folder, not a symlink) through its parent; TreeChanged when it is not `expect`.

        Raises:
            TreeChanged: the folder is not the one `expect` names, or it is a symlink or not a folder.
            OSError: it cannot be opened (missing, no permission...).

        """
        full = os.path.abspath(os.fspath(path))
        parent, name = os.path.split(full)
        if not name or name in {".", ".."}:
            raise TreeChanged(full, "it is a file system root; corral never deletes one")
        if not FD_DELETE:
            st = os.lstat(full)
            if not stat.S_ISDIR(st.st_mode):
                raise TreeChanged(full, "it is a symlink or not a folder; nothing was deleted")
            tree = cls(full, None, None, st)
        else:
            try:  # realpath itself fails (EINVAL) when a link is swapped for a folder mid-way
                parent_fd = open_folder(os.path.realpath(parent))
            except OSError as err:
                if err.errno in _NOT_A_FOLDER or err.errno == errno.EINVAL:
                    raise TreeChanged(
                        full,
                        "its parent folder changed while being opened (moved or made a symlink); nothing was deleted",
                    ) from err
                raise
            try:
                fd = open_folder(name, dir_fd=parent_fd)
            except OSError as err:
                os.close(parent_fd)
                if err.errno in _NOT_A_FOLDER:
                    raise TreeChanged(full, "it is a symlink or not a folder; nothing was deleted") from err
                raise
            tree = cls(full, parent_fd, fd, os.fstat(fd))
        if expect is not None and tree.identity != tuple(expect):
            tree.close()
            raise TreeChanged(
                full, "it is no longer the folder that was checked (it was moved or replaced); nothing was deleted"
            )
        return tree

    def __enter__(self) -> OpenedTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the descriptors (the folder itself is left as it is)."""
        for fd in (self.fd, self.parent_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd = self.parent_fd = None

    def mounts(self) -> list[str]:
        """Mount points inside the folder (empty where this cannot be known before the walk)."""
        return mounts_below(self.fd) if self.fd is not None else []

    def rename(self, new_name: str) -> None:
        """Give the folder a sibling name; TreeChanged (and the rename undone) when what moved was not it."""
        if os.sep in new_name or (os.altsep and os.altsep in new_name):
            msg = f"{new_name!r} is not a plain folder name"
            raise ValueError(msg)
        if self.parent_fd is None:
            new_path = os.path.join(os.path.dirname(self.path), new_name)
            os.rename(self.path, new_path)
            moved = os.lstat(new_path)
        else:
            os.rename(self.name, new_name, src_dir_fd=self.parent_fd, dst_dir_fd=self.parent_fd)
            moved = os.stat(new_name, dir_fd=self.parent_fd, follow_symlinks=False)
        if identity(moved) != self.identity:
            with contextlib.suppress(OSError):
                if self.parent_fd is None:
                    os.rename(os.path.join(os.path.dirname(self.path), new_name), self.path)
                else:
                    os.rename(new_name, self.name, src_dir_fd=self.parent_fd, dst_dir_fd=self.parent_fd)
            raise TreeChanged(self.path, "it was replaced while being renamed; nothing was deleted")
        self.path = os.path.join(os.path.dirname(self.path), new_name)
        self.name = new_name

    def delete(self) -> None:
        """Delete the contents, then the folder.

        Raises:
            MountInside: a mount point is inside (found before anything was deleted, or left during the walk).
            TreeChanged: the folder was moved away while being emptied (its contents are gone; it stays).
            OSError: something could not be deleted.

        """
        if self.fd is None or self.parent_fd is None:
            _rmtree_by_path(self.path)
            return
        found = self.mounts()
        if found:
            raise MountInside(self.path, found)
        left = _clear(self.fd, self.path, self._st)
        if left:
            raise MountInside(self.path, left)
        now = os.stat(self.name, dir_fd=self.parent_fd, follow_symlinks=False)
        if identity(now) != self.identity:
            raise TreeChanged(self.path, "it was moved away while being deleted; its emptied folder stays")
        os.rmdir(self.name, dir_fd=self.parent_fd)


def remove_tree(path: str | os.PathLike[str], *, ignore_errors: bool = False) -> None:
    """Delete the folder tree at `path` (not a symlink) through file descriptors, never crossing a mount.

    With `ignore_errors` every failure is swallowed and whatever could not be deleted stays (a mount always does).
    """
    try:
        with OpenedTree.open(path) as tree:
            tree.delete()
    except OSError:
        if not ignore_errors:
            raise


def _names(fd: int) -> list[str]:
    with os.scandir(fd) as entries:
        return [entry.name for entry in entries]


def _clear(root_fd: int, root_path: str, root_st: os.stat_result) -> list[str]:
    """Delete everything inside the open folder `root_fd`; returns the mount points left whole."""
    dev, mnt = root_st.st_dev, mount_id(root_fd)
    left: list[str] = []
    _make_writable(root_fd, root_st)
    frames = [_Frame(root_fd, root_path, _names(root_fd), None)]
    try:
        while frames:
            top = frames[-1]
            if top.todo:
                child = _enter(top, top.todo.pop(), dev, mnt, left)
                if child is not None:
                    frames.append(child)
                continue
            frames.pop()
            if top.name is None:  # the root: its caller removes it
                continue
            os.close(top.fd)
            top.fd = -1
            parent = frames[-1]
            if top.kept:
                parent.kept = True
            else:
                os.rmdir(top.name, dir_fd=parent.fd)
    finally:
        for frame in frames[1:]:
            with contextlib.suppress(OSError):
                os.close(frame.fd)
    return left


def _enter(top: _Frame, name: str, dev: int, mnt: int | None, left: list[str]) -> _Frame | None:
    """Handle one entry of `top`: unlink a non-folder, skip a mount, or open a subfolder to empty next."""
    path = os.path.join(top.path, name)
    try:
        st = os.stat(name, dir_fd=top.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        _unlink(top, name, path, left)
        return None
    if st.st_dev != dev:
        left.append(path)
        top.kept = True
        return None
    fd = _open_child(top.fd, name, st)
    if fd is None:  # it stopped being a folder (now a symlink or a file): unlink that instead
        _unlink(top, name, path, left)
        return None
    opened = os.fstat(fd)
    if identity(opened) != identity(st):  # swapped between the stat and the open
        os.close(fd)
        raise TreeChanged(path, "it was replaced while being deleted")
    if mnt is not None and mount_id(fd) != mnt:  # a bind mount from the same file system (same st_dev)
        os.close(fd)
        left.append(path)
        top.kept = True
        return None
    try:
        _make_writable(fd, opened)
        return _Frame(fd, path, _names(fd), name)
    except BaseException:
        os.close(fd)
        raise


def _unlink(top: _Frame, name: str, path: str, left: list[str]) -> None:
    try:
        os.unlink(name, dir_fd=top.fd)
    except FileNotFoundError:
        pass
    except OSError as err:
        if err.errno != errno.EBUSY:  # EBUSY: a file mount point; it stays, untouched
            raise
        left.append(path)
        top.kept = True


def _open_child(dir_fd: int, name: str, st: os.stat_result) -> int | None:
    """Open subfolder `name` (None when it is no longer a folder); an unreadable one is first made readable."""
    try:
        return open_folder(name, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in _NOT_A_FOLDER:
            return None
        if err.errno != errno.EACCES:
            raise
    _chmod_child(dir_fd, name, st)
    try:
        return open_folder(name, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in _NOT_A_FOLDER:
            return None
        raise


def _chmod_child(dir_fd: int, name: str, st: os.stat_result) -> None:
    """Add u+rwx to subfolder `name` without following a symlink (O_PATH on Linux)."""
    mode = stat.S_IMODE(st.st_mode) | stat.S_IRWXU
    o_path = getattr(os, "O_PATH", 0)
    if o_path and os.path.isdir("/proc/self/fd"):
        fd = os.open(name, o_path | os.O_NOFOLLOW | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
        try:
            if identity(os.fstat(fd)) == identity(st):
                os.chmod(f"/proc/self/fd/{fd}", mode)
        finally:
            os.close(fd)
    elif os.chmod in os.supports_follow_symlinks:
        os.chmod(name, mode, dir_fd=dir_fd, follow_symlinks=False)


def _make_writable(fd: int, st: os.stat_result) -> None:
    """Give the owner rwx on an open folder, so its entries can be listed and removed."""
    if stat.S_IMODE(st.st_mode) & stat.S_IRWXU != stat.S_IRWXU:
        with contextlib.suppress(OSError):  # not ours to change: the removal itself reports the failure
            os.fchmod(fd, stat.S_IMODE(st.st_mode) | stat.S_IRWXU)


def _rmtree_by_path(path: str) -> None:
    """Windows (no dir_fd): shutil.rmtree, clearing read-only bits on the way; symlinks are not followed."""

    def retry(func: Callable[..., Any], name: str, _exc: object) -> None:
        try:
            os.chmod(name, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
            func(name)
        except FileNotFoundError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)
