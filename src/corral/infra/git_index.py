"""Where the git index of the work tree around a folder lives (stdlib `os` only: the quick path imports it).

Every checkout, pull, merge, reset or `git add` rewrites the index, so its stat identity in the sync stamp and the
quick record sends the next `sync`/`run` the full way after one, where `services.trust.tracked_in_env` asks git
whether it wrote files into the env. A `.git` file (worktree, submodule) names its git folder on a `gitdir:` line;
its text only chooses which file is stat'ed, nothing is run or trusted from it.
"""

from __future__ import annotations

import os

__all__ = ["git_index_path", "tracked_under"]

_GITDIR_LIMIT = 4096


def git_index_path(folder: str) -> str | None:
    """The index file of the git work tree `folder` is in (the nearest `.git` at or above it), or None."""
    current = os.path.abspath(folder)
    while True:
        dot_git = os.path.join(current, ".git")
        if os.path.isdir(dot_git):
            return os.path.join(dot_git, "index")
        if os.path.isfile(dot_git):
            return _linked_index(dot_git, current)
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _linked_index(dot_git: str, work_tree: str) -> str | None:
    try:
        with open(dot_git, "rb") as handle:
            text = handle.read(_GITDIR_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None
    first = text.splitlines()[0] if text else ""
    if not first.startswith("gitdir:"):
        return None
    target = first[len("gitdir:") :].strip()
    return os.path.join(os.path.normpath(os.path.join(work_tree, target)), "index") if target else None


# The index file (git's Documentation/gitformat-index.txt): "DIRC", version, entry count; the entries sorted by
# path, then stage; extensions (a 4-byte signature, a 4-byte size); the SHA-1 of everything before it.
_SIGNATURE = b"DIRC"
_VERSIONS = (2, 3)  # 4 compresses each path against the one before it: git is asked
_HEADER = 12
_SHA1_SIZE = 20
_FIXED = 62  # ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 each), the SHA-1, the flags (2)
_MODE_TYPE = 26  # the mode's byte holding its type: a file 0x8_, a link 0xA_, a gitlink 0xE_ (a folder 0x4_)
_MODE_TYPES = (0x80, 0xA0, 0xE0)  # a sparse index's folder entry holds paths git alone can list
_EXTENDED = 0x40  # flags' first byte: a second flags word follows (version 3)
_EXTENDED_KNOWN = 0x60  # its first byte: skip-worktree, intent-to-add; git refuses any other bit
_NAME_MASK = 0xFFF  # 0xFFF: the path is longer, its length found by its NUL (not read here)
_REQUIRED = (b"link", b"sdir")  # a split index (entries in another file), a sparse index (folder entries)
_INDEX_LIMIT = 16 << 20  # ~150 000 paths: git reads a larger one
_OWN_SHA1_LIMIT = 1 << 20
_MAX_ENTRIES = 20_000  # a longer walk than this is git's (~1 us an entry here, against one process)


def tracked_under(work_tree: str, folder: str) -> list[str] | None:
    """The paths git's index tracks at or under `folder` (relative to `work_tree`, `/`-separated), in index order.

    What `git --literal-pathspecs ls-files -z -- FOLDER` run in `work_tree` lists, read from the index file without
    a git process. The index is untrusted input (a copied checkout ships any bytes there): None, "ask git", for
    anything not read in full here: no index file (git may find another repository above), a link, a fifo or
    anything but a regular file, one larger than a bound, a version other than 2 or 3 (4 compresses paths), a
    checksum that does not match (corrupt, SHA-256 or `index.skipHash`), an entry or extension that does not fit,
    entries out of git's order, a folder entry or an extension git must understand to list paths (a sparse index's
    `sdir`, a split index's `link`), an unknown entry flag, a path of 4095+ bytes, and a `folder` that is not plain
    ASCII (git may normalise it). When the folder's name is nowhere in the file and neither required extension
    is, nothing under it is tracked (versions 2 and 3 hold every path whole): [] before the checksum is even
    computed (~56 instructions a byte; a damaged or SHA-256 index that does not name the folder makes git list
    nothing under it, or fail, which lists nothing too); only otherwise is the checksum checked and each entry walked.
    """
    if not folder.isascii() or any(part in ("", ".", "..") for part in folder.split("/")):
        return None
    index = git_index_path(work_tree)
    if index is None:
        return None
    try:
        data = _read_index(index)
    except OSError:
        return None
    if data is None or int.from_bytes(data[4:8], "big") not in _VERSIONS:
        return None
    wanted = folder.encode("ascii")
    if wanted not in data and not any(signature in data for signature in _REQUIRED):
        return []
    return _entries_under(data, wanted) if _sha1(memoryview(data)[:-_SHA1_SIZE]) == data[-_SHA1_SIZE:] else None


def _read_index(index: str) -> bytes | None:
    """The index file's bytes, None when it is no index (OSError: unreadable, a link, a fifo, too large).

    Its checksum is the caller's to check.
    """
    from corral.infra.safe_read import read_small

    data = read_small(index, limit=_INDEX_LIMIT, what="git index", follow=False)
    return data if len(data) >= _HEADER + _SHA1_SIZE and data[:4] == _SIGNATURE else None


def _sha1(data: memoryview) -> bytes:
    """SHA-1 of `data`: hashlib's once it is imported, else CPython's own `_sha1` for up to 1 MiB.

    Importing hashlib loads OpenSSL (~4 ms); `_sha1` takes ~5 ms a MiB, hashlib ~1.5.
    """
    import sys

    if "hashlib" not in sys.modules and len(data) <= _OWN_SHA1_LIMIT:
        try:
            import _sha1  # type: ignore[import-not-found]  # no stubs: a CPython module
        except ImportError:
            pass
        else:
            return bytes(_sha1.sha1(data).digest())
    import hashlib

    return hashlib.sha1(data, usedforsecurity=False).digest()


def _entries_under(data: bytes, folder: bytes) -> list[str] | None:
    """The paths at or under `folder` of the checked index `data`, or None where it holds anything not known here.

    One loop with byte indexing (no call per entry): ~1 us an entry.
    """
    count = int.from_bytes(data[8:12], "big")
    if count > _MAX_ENTRIES:
        return None
    version3 = data[7] == 3  # noqa: PLR2004 - the version's low byte; the caller accepted 2 or 3
    end = len(data) - _SHA1_SIZE
    below = folder + b"/"
    found: list[str] = []
    offset, last, last_stage = _HEADER, b"", -1
    for _ in range(count):
        head = offset + _FIXED
        if head > end or data[offset + _MODE_TYPE] & 0xF0 not in _MODE_TYPES:
            return None
        high = data[head - 2]
        size = (high & 0x0F) << 8 | data[head - 1]
        if high & _EXTENDED:
            if not version3 or data[head] & ~_EXTENDED_KNOWN or data[head + 1]:
                return None
            head += 2
        stop = head + size
        next_entry = offset + ((stop - offset + 8) & ~7)  # the path's NUL and up to 7 more: a multiple of 8 bytes
        if size == _NAME_MASK or next_entry > end or data.find(b"\0", head, next_entry) != stop:
            return None
        path, stage = data[head:stop], (high >> 4) & 3
        if path < last or (path == last and stage <= last_stage):  # git's order; git refuses another
            return None
        last, last_stage = path, stage
        if path.startswith(folder) and (len(path) == len(folder) or path.startswith(below)):
            found.append(path.decode("utf-8", "surrogateescape"))
        offset = next_entry
    return found if _extensions_end(data, offset, end) else None


def _extensions_end(data: bytes, offset: int, end: int) -> bool:
    """The extensions from `offset` fill the index up to its checksum, each one git may skip (signature A-Z)."""
    while offset < end:
        signature = data[offset : offset + 4]
        offset += 8 + int.from_bytes(data[offset + 4 : offset + 8], "big")
        if offset > end or not b"A" <= signature[:1] <= b"Z":
            return False  # a split index's `link`, a sparse index's `sdir`, or one unknown to git too
    return offset == end
