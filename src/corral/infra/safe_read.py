"""Read a small file that a project or an env holds: the one way corral opens such a file for reading.

A repository can ship anything where corral expects a few lines of text: a fifo (a plain `open()` waits forever
for a writer), a link to `/dev/zero` (`read()` never ends), a folder, a file of many gigabytes, or a link to a
file outside the project (`.python-version -> ~/.ssh/id_ed25519`). `read_small` never opens what is not a regular
file (checked before the open, and again on the opened descriptor, which is opened with O_NONBLOCK so even a fifo
swapped in between cannot block), reads at most `limit` bytes, and answers anything else with an UnreadableFile:
an OSError (so every caller that treats an unreadable file as missing, damaged or worth one line keeps doing so)
whose text names the file, what it is, and what to do.

Stdlib only and cheap to import: the no-op `sync`/`run` fast paths read through it.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["TooLarge", "UnreadableFile", "read_small"]

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISLNK, "symlink"),
)


class UnreadableFile(OSError):
    """A file corral will not read: not a regular file, larger than the limit, or a link leading out of its folder.

    `strerror` says what it is and what to do; str() names the file too.
    """

    def __init__(self, path: str | os.PathLike[str], why: str) -> None:
        super().__init__(errno.EINVAL, why, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


class TooLarge(UnreadableFile):
    """A regular file larger than the reader's limit: `size` (its size when it was read, in bytes) and `limit`."""

    def __init__(self, path: str | os.PathLike[str], why: str, *, size: int, limit: int) -> None:
        super().__init__(path, why)
        self.size, self.limit = size, limit


def read_small(
    path: str | os.PathLike[str],
    *,
    limit: int,
    what: str,
    follow: bool = True,
    inside: str | os.PathLike[str] | None = None,
    truncate: bool = False,
) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    `what` names the kind of file in messages ("pyvenv.cfg", "requirements file"). `follow=False` refuses a
    symlink (for files only corral writes, never a link). `inside`: the file's real path must lie inside that
    folder (a link is followed only within it). `truncate`: a longer file gives its first `limit` bytes (a
    shebang, headers) instead of an error.

    Raises:
        FileNotFoundError, PermissionError, ...: as `open()` would.
        UnreadableFile: not a regular file, a refused link, or larger than `limit` (then a TooLarge).

    """
    target = _target(os.fspath(path), what=what, follow=follow, inside=inside)
    st = os.stat(target) if follow else os.lstat(target)  # never open a device or a fifo at all
    _require_regular(path, st.st_mode, what)
    try:
        fd = os.open(target, _FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:
            raise UnreadableFile(
                path,
                f"a symlink where {_article(what)} {what} must be a plain file; remove it and run the command again",
            ) from None
        raise
    try:
        opened = os.fstat(fd)
        _require_regular(path, opened.st_mode, what)  # swapped after the check: still never a read
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if size <= limit:
        return data
    if truncate:
        return data[:limit]
    raise TooLarge(
        path,
        f"larger than {_shown_size(limit)}, too big for {_article(what)} {what}; "
        "replace it (or restore it from version control) and run the command again",
        size=max(size, opened.st_size),
        limit=limit,
    )


def _target(path: str, *, what: str, follow: bool, inside: str | os.PathLike[str] | None) -> str:
    """The path to open: `path`, or (with `inside`) the real file it names, when that lies inside `inside`."""
    if inside is None or not follow:
        return path
    real, root = os.path.realpath(path), os.path.realpath(inside)
    try:
        within = os.path.commonpath([root, real]) == root and real != root
    except ValueError:  # another drive
        within = False
    if not within:
        how = "a symlink to" if os.path.islink(path) else "a path through a symlink to"
        raise UnreadableFile(
            path,
            f"{how} {real}, outside the project {root}; corral follows a link to "
            f"{_article(what)} {what} only within the project: replace the link with a "
            "copy of the file",
        )
    return real


def _require_regular(path: str | os.PathLike[str], mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "special file")
    shown = f"{_article(kind)} {kind}"
    if os.path.islink(path) and kind != "symlink":
        shown = f"a symlink to {os.path.realpath(path)}, {shown}"
    raise UnreadableFile(
        path,
        f"{shown}, not a regular file; {_article(what)} {what} must be a plain file: "
        "replace it with one (or remove it) and run the command again",
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _shown_size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):g} MiB"
    return f"{size / 1024:g} KiB" if size >= 1024 else f"{size} bytes"  # noqa: PLR2004
