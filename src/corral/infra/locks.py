"""Cross-process file locks: the one place corral takes one.

An exclusive lock on a lock file, held for a `with` block: `fcntl.flock` on POSIX, `msvcrt.locking` of the
file's first byte on Windows (what `filelock` does on each, without its ~40 ms import of asyncio). Both lock an
open file description, so a second `file_lock` on the same file waits even in the same process: a caller that
may nest (the project lock) counts its own holds. The file is never removed (removing it would let a second
process lock a new file while a first still holds the old one); it lives in corral's cache or data folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["LockTimeout", "file_lock"]

_POLL = 0.02  # seconds between tries while another process holds the lock


class LockTimeout(TimeoutError):
    """The lock was still held by another process when the timeout ran out."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(f"{path} was still locked after {timeout:.0f} s")
        self.path = path
        self.timeout = timeout


if sys.platform == "win32":  # pragma: no cover - exercised by the same tests on Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position: always the first one
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _wait_lock(fd: int) -> None:
        while not _try_lock(fd):  # LK_LOCK gives up after 10 s; poll instead
            time.sleep(_POLL)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _wait_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created, with its folder, when missing) for the `with` block.

    Args:
        path: the lock file.
        timeout: seconds to wait for another holder; None waits as long as it takes.
        on_wait: called once, before waiting, when another holder has the lock (to say what is being waited for).

    Raises:
        LockTimeout: `timeout` ran out with the lock still held elsewhere.

    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # not inherited by children (PEP 446)
    try:
        if not _try_lock(fd):
            if on_wait is not None:
                on_wait()
            if timeout is None:
                _wait_lock(fd)
            else:
                deadline = time.monotonic() + timeout
                while not _try_lock(fd):
                    if time.monotonic() > deadline:
                        raise LockTimeout(path, timeout)
                    time.sleep(_POLL)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
