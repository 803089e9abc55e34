"""A folder of corral's own opened once, its entries judged and removed through descriptors (`corral cache`).

`open_own_folder(path, home=)` follows a link to the folder itself (where corral writes) and refuses one that is
not the user's alone (another owner, writable by others), a file-system root or the home folder, or any ancestor
of it. Inside, nothing is followed: `lstat` is an entry's own, `unlink` removes a non-folder entry only while it is
still the one judged (device and inode), `remove_folder` goes through `infra.rmtree` (no link followed, no mount
crossed), and `usage` walks without following links, crossing mounts or counting a hard-linked file twice.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.errors import UsageError
from corral.infra.rmtree import FD_DELETE, OpenedTree, identity, open_folder

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["OwnFolder", "names", "open_own_folder", "usage"]


class OwnFolder:
    """A folder of corral's, opened once: descriptors for its subfolders, entries removed through them."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path  # its real path
        self.fd = fd

    @contextlib.contextmanager
    def folder(self, name: str) -> Iterator[int | None]:
        """The descriptor of the subfolder `name` (None: absent, or not a folder: a link, a file, a fifo)."""
        try:
            fd = open_folder(name, dir_fd=self.fd)
        except OSError:
            yield None
            return
        try:
            yield fd
        finally:
            os.close(fd)

    def lstat(self, name: str, dir_fd: int | None = None) -> os.stat_result | None:
        """The entry's own stat (a link's, not its target's), None when absent or unreadable."""
        try:
            return os.stat(name, dir_fd=self.fd if dir_fd is None else dir_fd, follow_symlinks=False)
        except OSError:
            return None

    def unlink(self, name: str, dir_fd: int, expect: os.stat_result) -> bool:
        """Unlink the non-folder `name` in `dir_fd` when it is still the entry that was judged (never followed)."""
        now = self.lstat(name, dir_fd)
        if now is None or identity(now) != identity(expect) or stat.S_ISDIR(now.st_mode):
            return False
        try:
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            return False
        return True

    def remove_folder(self, relative: str, expect: os.stat_result) -> bool:
        """Remove the folder at `relative` (under the real path) through `infra.rmtree` when still `expect`."""
        try:
            with OpenedTree.open(self.path / relative, expect=identity(expect)) as tree:
                tree.delete()
        except OSError:
            return False
        return True


@contextlib.contextmanager
def open_own_folder(given: Path, *, home: str | None, what: str) -> Iterator[OwnFolder | None]:
    """`given` opened (None when it does not exist); UsageError when it cannot be corral's (`what` names it)."""
    if not FD_DELETE:
        msg = f"this needs directory descriptors (POSIX); remove {given} by hand"
        raise UsageError(msg)
    real = Path(os.path.realpath(given))
    try:
        fd = open_folder(str(real))
    except FileNotFoundError:
        yield None
        return
    except OSError as err:
        msg = f"{what} {given} cannot be opened as a folder ({err.strerror}); remove it by hand"
        raise UsageError(msg) from None
    try:
        _require_own(given, real, os.fstat(fd), home, what)
        yield OwnFolder(real, fd)
    finally:
        os.close(fd)


def _require_own(given: Path, real: Path, st: os.stat_result, home: str | None, what: str) -> None:
    """The folder is the user's, others cannot write it, and it is no root, home folder or ancestor of home."""
    homes = {os.path.realpath(home)} if home else set()
    if real.parent == real or str(real) in homes or any(h.startswith(str(real) + os.sep) for h in homes):
        msg = f"{what} {given} is {real}, a root or home folder; set CORRAL_HOME or XDG_CACHE_HOME"
        raise UsageError(msg)
    if hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & stat.S_IWOTH):
        msg = (
            f"{what} {given} ({real}) is not yours alone (owner {st.st_uid}, mode "
            f"{stat.S_IMODE(st.st_mode):o}); corral removes nothing there: check it and remove it by hand"
        )
        raise UsageError(msg)


def usage(root: OwnFolder, name: str, dir_fd: int | None = None) -> tuple[int, int]:
    """(bytes on disk, files) of the entry `name`: links and fifos by their own size, no mount crossed.

    A file hard-linked twice counts once; folders deeper than `_DEPTH` are not walked (nothing corral writes is).
    """
    return _usage(root, name, root.fd if dir_fd is None else dir_fd, 0, set())


_DEPTH: Final = 32


def _usage(root: OwnFolder, name: str, parent: int, depth: int, seen: set[tuple[int, int]]) -> tuple[int, int]:
    st = root.lstat(name, parent)
    if st is None or (st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode) and identity(st) in seen):
        return 0, 0
    seen.add(identity(st))
    size = _disk(st)
    if not stat.S_ISDIR(st.st_mode):
        return size, 1
    if depth >= _DEPTH:
        return size, 0
    files = 0
    try:
        fd = open_folder(name, dir_fd=parent)
    except OSError:
        return size, 0
    try:
        if os.fstat(fd).st_dev != st.st_dev:
            return size, 0
        for child in names(fd):
            child_size, child_files = _usage(root, child, fd, depth + 1, seen)
            size, files = size + child_size, files + child_files
    finally:
        os.close(fd)
    return size, files


def _disk(st: os.stat_result) -> int:
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


def names(fd: int) -> list[str]:
    """The sorted names in the folder `fd` ([] when it cannot be listed)."""
    try:
        return sorted(os.listdir(fd))
    except OSError:
        return []
