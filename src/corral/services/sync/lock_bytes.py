"""The lock file's bytes and SHA-256, read once per process while the file keeps its stat fingerprint.

A sync that creates an env read pylock.toml five times (the lock side's memo, the stamp's input state, the header,
the check of the new env's lock, the selection) and hashed it three times: ~8 ms for a 1.1 MB lock. The first read
is kept with the file's fingerprint (`infra.fingerprint`: size, mtime_ns, inode, ctime_ns) taken before it and
again after it; a later read of the same path whose fingerprint is the one kept gets those bytes (the sync stamp
takes an unchanged fingerprint as unchanged bytes too), any other fingerprint reads the file again. A file that
moved while it was read, or changed in the last 50 ms (2 s where times are rounded), is not kept. Reads go through
`infra.safe_read` (a regular file only, at most 64 MB).
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Final

from corral.infra.fingerprint import fingerprint
from corral.infra.safe_read import read_small

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["lock_bytes", "lock_digest", "lock_text"]

_LIMIT: Final = 64 << 20  # as infra.toml_file and infra.fingerprint read a lock
_SETTLE_NS: Final = 50_000_000  # past the last change: many clock ticks (cli.quick waits as long for its records)
_KEPT: dict[str, tuple[list[int], bytes, str]] = {}


def _read(path: Path) -> tuple[bytes, str]:
    """(bytes, sha256 hex) of `path`, kept or read. Raises OSError as `infra.safe_read.read_small` does."""
    key = os.fspath(path)
    before = fingerprint(path)
    kept = _KEPT.get(key)
    if kept is not None and before is not None and kept[0] == before:
        return kept[1], kept[2]
    data = read_small(path, limit=_LIMIT, what=os.path.basename(key))
    digest = hashlib.sha256(data).hexdigest()
    if before is not None and fingerprint(path) == before and _settled(before[3]):
        _KEPT[key] = (before, data, digest)
    else:
        _KEPT.pop(key, None)
    return data, digest


def _settled(ctime_ns: int) -> bool:
    """Whether a file changed at `ctime_ns` can no longer change under the same fingerprint.

    A file system stamps times at a clock tick (a few ms), or rounds them to the second: a same-size edit within the
    tick of the last change keeps every field. A lock changed that recently (`corral lock` just wrote it) is read
    each time, as before.
    """
    import time

    margin = 2_000_000_000 if ctime_ns % 1_000_000_000 == 0 else _SETTLE_NS
    return time.time_ns() > ctime_ns + margin


def lock_bytes(path: Path) -> tuple[bytes, str]:
    """The lock's (bytes, sha256 hex).

    Raises:
        ConfigError: unreadable, not a regular file, or huge (`infra.toml_file.read_bytes`' error, naming the file).

    """
    try:
        return _read(path)
    except OSError:
        from corral.infra.toml_file import read_bytes

        data = read_bytes(path)  # its error names the file (or it reads a file that just became readable)
        return data, hashlib.sha256(data).hexdigest()


def lock_text(path: Path) -> str:
    """The lock decoded as UTF-8 (ConfigError as `infra.toml_file.read_text` raises it)."""
    from corral.infra.toml_file import decode_text

    return decode_text(lock_bytes(path)[0], origin=str(path))


def lock_digest(path: Path) -> str | None:
    """The lock's sha256 hex; None when it cannot be read (as `infra.fingerprint.digest`)."""
    try:
        return _read(path)[1]
    except OSError:
        return None
