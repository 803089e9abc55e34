"""A real full disk for a test: a small tmpfs mounted for its duration, and filled up (root and mount(8) needed).

Used by `tests/reliability/test_full_disk.py` and the attack tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fill", "tmpfs"]

_MB = 1 << 20
_PAGE = 4096


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` for the duration (skips the test where that cannot be done)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root and mount(8)")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(disk: Path, *, leave: int = 0) -> None:
    """Fill the file system at `disk` completely (`.filler`), then give back `leave` bytes."""
    fd = os.open(disk / ".filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (_MB, 64 * 1024, _PAGE, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
        if leave:
            os.ftruncate(fd, os.fstat(fd).st_size - leave)
    finally:
        os.close(fd)
