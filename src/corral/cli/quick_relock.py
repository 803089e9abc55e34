"""`cli.quick`'s no-op answer when the lock was written again with the same bytes (a relock that changed nothing).

`corral add X` then `corral remove X` leaves pylock.toml as it was, to the byte, in a new file: another inode and
other times. The sync stamp's check then compares the lock's SHA-256 with the one the stamp records
(`services.sync.stamp.is_noop`); the quick record, which holds the lock's stat, sent that no-op the full way. Here
the same comparison is made from what `cli.quick.observe` saw: every other line equal to the record's (`compare`),
the stamp the very one the observation hashed (`stamp-bytes`), the lock read from the very file observed (its stat
taken again on the open file). Imported only when a record does not match. Stdlib only (os, stat).
"""

from __future__ import annotations

import os

from corral.cli.quick import (
    _STAMP_FILE,
    _STAMP_LIMIT,
    _sha256_hex,
    _stat_line,
    compare,
    json_loads,
    regular_bytes,
)

__all__ = ["relocked"]

_LOCK_LIMIT = 64 << 20  # as infra.toml_file reads pylock.toml
_STAT_FIELDS = 10  # `label dev ino mode uid gid size mtime ctime path`


def relocked(recorded: list[str], lines: list[str], data: str, env: str) -> bool | None:
    """`compare`'s verdict when only the lock's stat differs and it holds the bytes the env's stamp records.

    True: answered, and the record may be written again (with the new stat); None: the full path.
    """
    at = next((i for i, line in enumerate(lines) if line.startswith("lock ")), None)
    if at is None or len(recorded) <= at or recorded[at] == lines[at] or not recorded[at].startswith("lock "):
        return None
    parts = lines[at].split(" ", _STAT_FIELDS - 1)
    if (
        len(parts) != _STAT_FIELDS
        or not parts[1].isdigit()
        or recorded[at].split(" ", _STAT_FIELDS - 1)[9:] != parts[9:]
    ):
        return None  # not a stat of the same path
    if compare(recorded, [*lines[:at], recorded[at], *lines[at + 1 :]], data) is None:
        return None
    sha = _stamp_lock_sha(os.path.join(env, _STAMP_FILE), lines, parts[9])
    lock = _read(parts[9], _LOCK_LIMIT, parts) if sha is not None else None
    return True if lock is not None and _sha256_hex(lock) == sha else None


def _stamp_lock_sha(path: str, lines: list[str], lock_path: str) -> str | None:
    """The lock's SHA-256 in the stamp `lines` observed (its bytes' digest is there); None: another or none."""
    raw = _read(path, _STAMP_LIMIT, None)
    if raw is None or f"stamp-bytes {_sha256_hex(raw)}" not in lines:
        return None
    try:
        stamp = json_loads(raw)
    except (ValueError, RecursionError):
        return None
    lock = stamp.get("lock") if isinstance(stamp, dict) else None
    if not isinstance(lock, dict) or lock.get("path") != lock_path or not isinstance(lock.get("sha256"), str):
        return None
    return str(lock["sha256"])


def _read(path: str, limit: int, parts: list[str] | None) -> bytes | None:
    """A regular file's bytes (at most `limit`), never a fifo's wait; None: not one.

    Without `parts` (the stamp) never through a link; with them, only from the file that stat line (split) observed
    (`observe` follows links): the stat is taken again on the open file, and any difference is None.
    """
    if parts is None:
        return regular_bytes(path, limit)
    observed = " ".join(parts)
    return regular_bytes(path, limit, follow=True, accept=lambda st: _stat_line(parts[0], st, path) == observed)
