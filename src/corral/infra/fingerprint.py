"""What a file looks like, cheaply: its stat fingerprint, or the sha256 of its bytes (read through infra.safe_read).

Stdlib only: the no-op paths of `sync`, `run` and `lock` compare these before anything heavy is imported.
"""

from __future__ import annotations

import os

from corral.infra.safe_read import read_small

__all__ = ["digest", "fingerprint"]

_LIMIT = 64 << 20  # as infra.toml_file reads pyproject.toml and pylock.toml


def fingerprint(path: str | os.PathLike[str]) -> list[int] | None:
    """[size, mtime_ns, inode, ctime_ns] of the file `path` resolves to; None when it is missing or unreadable.

    Not size and mtime alone: `touch -d`, `tar`, `rsync -a` and `cp -p` give an edited file back its old mtime,
    and a same-size edit then looked unchanged. No program can set a ctime, and a replaced file has a new inode.
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def digest(path: str | os.PathLike[str], *, limit: int = _LIMIT, truncate: bool = False) -> str | None:
    """sha256 hex of a regular file's bytes (at most `limit`; the first `limit` bytes with `truncate`).

    None when it is missing, not a regular file (a fifo is never waited on) or over the limit.
    """
    try:
        data = read_small(path, limit=limit, what=os.path.basename(path), truncate=truncate)
    except OSError:
        return None
    import hashlib  # here: its OpenSSL start costs ~4 ms on the paths that start uv, which hash nothing

    return hashlib.sha256(data).hexdigest()
