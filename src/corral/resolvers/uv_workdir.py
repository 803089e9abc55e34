"""The temporary projects `corral lock` has uv resolve: made in use, removed after, and leftovers of killed locks.

`make()` creates `<tmp>/corral-lock-XXXXXXXX` (as tempfile.mkdtemp does: the user's own, mode 0700, in the folder
`tempfile.gettempdir()` names, `temp_root`) and holds an exclusive lock on its `.corral-in-use` file for as long as
the folder is used (`Workdir.remove` removes the folder, then lets go). Neither tempfile nor pathlib is imported
for it (shutil, random, re: 5-50 ms before a lock's head start can start uv, `resolvers.uv_headstart`). A lock
killed meanwhile (SIGKILL, a power cut) leaves the folder, and nothing else ever removes it: each lock first removes
such leftovers (`remove_leftovers`), each one proven corral's own and unused: its exact name shape, a folder (no
link) of this user, mode 0700, untouched for a minute, holding only the files a lock writes there, and its
`.corral-in-use` unlocked (the lock dies with its process). A folder without that file (an older
corral's) must have been left for a day. Deletion goes through `infra.rmtree` (no link followed, no mount crossed).
"""

from __future__ import annotations

import os
import stat
import sys
import time

TYPE_CHECKING = False  # typing is not imported on the head start's path; mypy reads this name as typing's
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["IN_USE", "PREFIX", "Workdir", "make", "remove_leftovers", "temp_root"]

PREFIX = "corral-lock-"
IN_USE = ".corral-in-use"
_RANDOM = 8  # the characters tempfile.mkdtemp adds to the prefix
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # tempfile's alphabet
_WRITTEN = frozenset({"pyproject.toml", "uv.lock", IN_USE})  # all a lock puts there (uv writes uv.lock)
_IDLE_SECONDS = 60  # a leftover is older: a live lock's folder is locked anyway, this only spares its first moments
_UNMARKED_IDLE_SECONDS = 86_400  # an older corral's folder has no lock file to tell whether it is used


class Workdir:
    """A temporary project folder held in use (its `.corral-in-use` locked) until `remove`."""

    __slots__ = ("_fd", "_path", "folder")

    def __init__(self, path: str | os.PathLike[str], fd: int | None) -> None:
        self.folder = os.fspath(path)
        self._path: Path | None = None
        self._fd = fd

    @property
    def path(self) -> Path:
        """The folder as a Path."""
        if self._path is None:
            from pathlib import Path

            self._path = Path(self.folder)
        return self._path

    def remove(self) -> None:
        """Remove the folder (never through a link), then let go of it; never raises."""
        from corral.infra.rmtree import remove_tree

        try:
            remove_tree(self.path, ignore_errors=True)
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def make() -> Workdir:
    """A new temporary project folder, locked as in use (on POSIX; elsewhere it is only made)."""
    path = _new_folder(temp_root())
    fd = None
    try:
        if os.name == "posix":
            import fcntl

            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            fd = os.open(os.path.join(path, IN_USE), flags, 0o600)  # not inherited by uv (PEP 446): this process's
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        Workdir(path, fd).remove()
        raise
    return Workdir(path, fd)


def _new_folder(parent: str) -> str:
    """`tempfile.mkdtemp(prefix=PREFIX, dir=parent)`: a new folder of mode 0700 under a random name, its path."""
    for _ in range(_ATTEMPTS):
        path = os.path.join(parent, PREFIX + _random_name())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return os.path.abspath(path)
    raise FileExistsError(f"no free name for a temporary project in {parent}")


_ATTEMPTS = 10_000  # tempfile's TMP_MAX
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's
_root: list[str] = []  # the folder temp_root found (tempfile keeps its answer for the process too)


def _random_name() -> str:
    return "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in os.urandom(_RANDOM))


def temp_root() -> str:
    """The folder `tempfile.gettempdir()` gives, by its rule, without importing tempfile where it is not loaded yet.

    Loaded (or not POSIX): its own answer. Else the first of $TMPDIR, $TEMP, $TMP, /tmp, /var/tmp, /usr/tmp and the
    working folder (made absolute) where a new file can be created, written and removed, as tempfile tries them.
    """
    loaded = sys.modules.get("tempfile")
    if loaded is not None or os.name != "posix":
        import tempfile

        return tempfile.gettempdir()
    if not _root:
        _root.append(_first_usable())
    return _root[0]


def _first_usable() -> str:
    """What tempfile's `_get_default_tempdir` finds on POSIX."""
    candidates = [value for name in ("TMPDIR", "TEMP", "TMP") if (value := os.environ.get(name))]
    candidates += ["/tmp", "/var/tmp", "/usr/tmp"]  # noqa: S108 - tempfile's own list
    try:
        candidates.append(os.getcwd())
    except OSError:
        candidates.append(os.curdir)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for candidate in candidates:
        folder = candidate if candidate == os.curdir else os.path.abspath(candidate)
        for _ in range(100):
            probe = os.path.join(folder, _random_name())
            try:
                fd = os.open(probe, flags, 0o600)
                try:
                    try:
                        os.write(fd, b"blat")
                    finally:
                        os.close(fd)
                finally:
                    os.unlink(probe)
            except FileExistsError:
                continue
            except OSError:
                break  # tempfile tries no other name in this folder
            return folder
    raise FileNotFoundError(f"no usable temporary folder among {candidates}")


def remove_leftovers(folder: str | None = None, *, now: float | None = None) -> list[str]:
    """Remove killed locks' temporary projects from `folder` (default: the temporary folder); the paths removed."""
    if os.name != "posix":
        return []
    parent = folder or temp_root()
    when = time.time() if now is None else now
    removed = []
    try:
        entries = [e for e in os.scandir(parent) if _named_as_ours(e.name)]
    except OSError:
        return []
    for entry in entries:
        path = os.path.join(parent, entry.name)
        try:
            if _left_over(path, when):
                removed.append(path)
        except OSError:
            continue
    return removed


def _named_as_ours(name: str) -> bool:
    tail = name[len(PREFIX) :]
    return name.startswith(PREFIX) and len(tail) == _RANDOM and set(tail) <= _NAME_CHARS


def _left_over(path: str, now: float) -> bool:
    """Remove `path` when it is a killed lock's temporary project (see the module's text); True when removed."""
    from corral.infra.rmtree import remove_tree

    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) != 0o700:  # noqa: PLR2004
        return False
    names = set(os.listdir(path))
    idle = _UNMARKED_IDLE_SECONDS if IN_USE not in names else _IDLE_SECONDS
    if not names <= _WRITTEN or now - max(st.st_mtime, st.st_ctime) < idle:
        return False
    if IN_USE in names:
        return _removed_unless_held(os.path.join(path, IN_USE), path)
    remove_tree(path)
    return True


def _removed_unless_held(marker: str, path: str) -> bool:
    """Remove `path` when no process holds its `.corral-in-use` (a regular file), held by this one meanwhile."""
    import fcntl

    fd = os.open(marker, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a lock still uses it
        from corral.infra.rmtree import remove_tree

        remove_tree(path)  # while held: no lock takes the folder meanwhile
        return True
    finally:
        os.close(fd)
