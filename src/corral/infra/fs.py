"""Atomic file writes and careful directory handling."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from corral.infra.faults import checkpoint

__all__ = ["TMP_MARK", "atomic_write_bytes", "atomic_write_text", "dir_size"]

# Temporary files of atomic writes are `.NAME.corral-XXXXXXXX.tmp`: a killed writer's leftovers are recognisable,
# and services.recovery removes them from a project.
TMP_MARK = "corral-"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    A reader (or a crash) sees the old file or the new one, never half of one. The file mode of
    an existing target is kept.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{TMP_MARK}", suffix=".tmp")
    except OSError as err:  # name the file the caller wanted written, not a temporary one
        raise type(err)(err.errno, err.strerror, str(path)) from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        checkpoint(f"write:{path.name}:before-rename")
        os.replace(tmp, path)
        checkpoint(f"write:{path.name}:after-rename")
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno is not None:
            raise type(err)(err.errno, err.strerror, str(path)) from err
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` atomically (see atomic_write_bytes)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def dir_size(root: Path) -> int:
    """Real bytes used under `root`: each inode counted once, symlinks not followed."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            blocks = getattr(st, "st_blocks", None)
            total += blocks * 512 if blocks is not None else st.st_size
    return total
