"""What `git describe --tags --long --always --dirty` reads, as stats: its answer reused while none of them moved.

A dynamic version (setuptools-scm, hatch-vcs) follows the commit, the nearest tag and the dirty flag, so the lock
stamp and the quick lock record ask `git describe` (two git processes with the settings listing, ~25 ms) on every
check. `state` observes, without a process, what that answer is derived from in the repository around a folder:

- the git folder's HEAD, the ref it names, packed-refs, every entry under refs/tags and refs/replace, shallow,
  info/grafts, info/attributes, objects/info/alternates and config, the user's and the system's git settings and
  attributes files, the git program, and every `GIT_*` variable;
- the index, and each file it tracks in the work tree (its `lstat`: a content edit, a removal, a mode change), with
  a `.gitattributes` beside each of them (an untracked one changes how a tracked file is compared).

Equal states, each stat settled before the describe that answered (the quick path's rule: `settle_margin`), mean
the same answer: every write moves a ctime past a settled one. `remember`/`recall` keep such answers for this
process (the quick lock record keeps the last one across processes: `cli.lock_quick`). Anything this reading does
not know is None, "no proof", and git is asked as before: a `.git` file (linked work tree, submodule), a reftable,
a split or sparse index, index version 4, a submodule (gitlink), more than `_MAX_FILES` tracked files, a settings
file that includes others or names another attributes file or work tree, an entry that cannot be read.

Stdlib `os` only (the quick lock path calls it before anything else is imported).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["State", "adopt", "recall", "remember", "state"]

_MAX_FILES = 5000  # tracked files stat'ed; a larger repository asks git (which walks it faster)
_MAX_REFS = 2000  # entries under refs/tags and refs/replace
_INDEX_LIMIT = 8 << 20
_SMALL_LIMIT = 1 << 16  # HEAD, a settings file
_FINE_SETTLED_NS = 50_000_000  # as cli.quick.settle_margin: nanosecond stamps, a clock ticking every 1-10 ms
_SETTLED_NS = 2_000_000_000  # rounded stamps (FAT: 2 s)
# words in a settings file that point git at files this reading does not follow (lowercased)
_UNFOLLOWED = (b"include", b"attributesfile", b"worktree", b"hookspath", b"refstorage", b"splitindex")
_GIT_FILES = (
    "HEAD",
    "config",
    "index",
    "packed-refs",
    "shallow",
    "info/grafts",
    "info/attributes",
    "objects/info/alternates",
)
_REF_TREES = ("refs/tags", "refs/replace")
_UNREAD = ("commondir", "reftable")  # a linked work tree's shared folder, the reftable format
_INDEX_HEAD, _CHECKSUM, _ENTRY_FIXED = 12, 20, 62  # the index's header, its SHA-1, an entry's fixed part
_MODE_BYTE = 26  # the entry's byte holding its mode's type
_FILE_TYPES = (0x80, 0xA0)  # a file, a symbolic link
_MEMO: dict[str, str] = {}  # state digest -> describe's output (this process)


class State:
    """A repository's describe inputs: their digest, and when the newest of their stats settles (ns)."""

    __slots__ = ("digest", "settled_ns")

    def __init__(self, digest: str, settled_ns: int) -> None:
        self.digest = digest
        self.settled_ns = settled_ns


def state(folder: str, git: str, environ: Mapping[str, str]) -> State | None:
    """The describe inputs of the repository around `folder` as `git` reads them; None: no proof (ask git)."""
    try:
        return _state(folder, git, environ)
    except (OSError, ValueError, UnicodeError):
        return None


def remember(found: State, observed_ns: int, text: str) -> None:
    """Keep `text`, git's answer, for `found` when it had settled by `observed_ns` (read before its stats)."""
    if found.settled_ns <= observed_ns:
        adopt(found.digest, text)


def adopt(digest: str, text: str) -> None:
    """Keep `text` for the state of `digest`, proven by a record corral wrote (the quick lock record's pair).

    Only one line of printable text (what git describe prints): nothing else is ever handed out as its answer.
    """
    if text.isprintable():
        _MEMO[digest] = text


def recall(found: State, observed_ns: int) -> str | None:
    """Git's answer for a state equal to `found`, when one was kept and `found` had settled by `observed_ns`."""
    return _MEMO.get(found.digest) if found.settled_ns <= observed_ns else None


def _state(folder: str, git: str, environ: Mapping[str, str]) -> State | None:
    work_tree = _work_tree(folder)
    if work_tree is None:
        return None
    lines = [f"env {k}={v}" for k, v in sorted(environ.items()) if k.startswith("GIT_")]
    found = [_git_folder(os.path.join(work_tree, ".git"), git, environ, lines), _files(work_tree, lines)]
    if None in found:
        return None
    return State(_sha256_hex("\n".join(lines).encode("utf-8", "surrogateescape")), max(n or 0 for n in found))


def _git_folder(git_dir: str, git: str, environ: Mapping[str, str], lines: list[str]) -> int | None:
    """The git folder's, the settings' and the program's stat lines; when the newest settles (None: no proof)."""
    paths = [os.path.join(git_dir, name) for name in _GIT_FILES]
    if any(os.path.lexists(os.path.join(git_dir, name)) for name in _UNREAD):
        return None  # a linked work tree's shared folder, the reftable format: not read here
    head = _small(paths[0])
    if head is None:
        return None
    if head.startswith(b"ref: "):
        ref = head[5:].strip().decode("ascii")
        if not ref.startswith("refs/") or ".." in ref.split("/") or not ref.isprintable() or "\\" in ref:
            return None
        paths.append(os.path.join(git_dir, ref))
    settings, others = _settings_files(git, environ)
    if any(_unfollowed(path) for path in [os.path.join(git_dir, "config"), *settings]):
        return None
    for folder in (os.path.dirname(git_dir), git_dir):  # their owner decides whether git reads the repository
        st = os.lstat(folder)  # (their times move with every file written there: not compared)
        lines.append(f"owner {st.st_dev} {st.st_ino} {st.st_mode} {st.st_uid} {folder}")
    newest = 0
    for path in [*paths, *settings, *others]:
        line, settled = _stat_line(path)
        lines.append(line)
        newest = max(newest, settled)
    for tree in _REF_TREES:
        walked = _walk(os.path.join(git_dir, tree), lines)
        if walked is None:
            return None
        newest = max(newest, walked)
    return newest


def _files(work_tree: str, lines: list[str]) -> int | None:
    """The index's tracked files' stat lines, and a `.gitattributes` beside each; when the newest settles."""
    tracked = _tracked(os.path.join(work_tree, ".git", "index"))
    if tracked is None:
        return None
    newest = 0
    folders: dict[str, None] = {"": None}
    for relative in tracked:
        line, settled = _stat_line(os.path.join(work_tree, relative))
        lines.append(line)
        newest = max(newest, settled)
        parent = relative.rpartition("/")[0]
        while parent not in folders:
            folders[parent] = None
            parent = parent.rpartition("/")[0]
    for parent in folders:
        line, settled = _stat_line(os.path.join(work_tree, parent, ".gitattributes"))
        lines.append(line)
        newest = max(newest, settled)
    return newest


def _work_tree(folder: str) -> str | None:
    """The folder holding the nearest `.git` at or above `folder`, when that is a folder (else None)."""
    current = os.path.abspath(folder)
    while True:
        dot_git = os.path.join(current, ".git")
        if os.path.lexists(dot_git):
            return current if os.path.isdir(dot_git) and not os.path.islink(dot_git) else None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _settings_files(git: str, environ: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(the user's and the system's settings files git may read, the program and the attributes files)."""
    home = environ.get("HOME") or os.path.expanduser("~")
    xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(git)))
    settings = [
        os.path.join(home, ".gitconfig"),
        os.path.join(xdg, "git", "config"),
        "/etc/gitconfig",
        os.path.join(prefix, "etc", "gitconfig"),
    ]
    settings += [os.path.abspath(environ[k]) for k in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM") if environ.get(k)]
    others = [git, os.path.join(xdg, "git", "attributes"), "/etc/gitattributes"]
    others.append(os.path.join(prefix, "etc", "gitattributes"))
    return list(dict.fromkeys(settings)), list(dict.fromkeys(others))


def _stat_line(path: str) -> tuple[str, int]:
    """`lstat` of `path` as a line, and when it settles (0: absent)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"! {path}", 0
    except NotADirectoryError:
        return f"!dir {path}", 0
    line = (
        f"{st.st_dev} {st.st_ino} {st.st_mode} {st.st_uid} {st.st_gid} {st.st_size} {st.st_mtime_ns} "
        f"{st.st_ctime_ns} {path}"
    )
    return line, st.st_ctime_ns + _margin(st.st_ctime_ns)


def _margin(ctime_ns: int) -> int:
    return _FINE_SETTLED_NS if os.name == "posix" and ctime_ns % 1_000_000 else _SETTLED_NS


def _walk(root: str, lines: list[str]) -> int | None:
    """Every entry under `root` (and itself) as stat lines; when the newest settles; None: too many."""
    newest = 0
    todo = [root]
    count = 0
    while todo:
        folder = todo.pop()
        line, settled = _stat_line(folder)
        lines.append(line)
        newest = max(newest, settled)
        if line.startswith("!"):
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except NotADirectoryError:
            continue
        for entry in entries:
            count += 1
            if count > _MAX_REFS:
                return None
            if entry.is_dir(follow_symlinks=False):
                todo.append(entry.path)
            else:
                line, settled = _stat_line(entry.path)
                lines.append(line)
                newest = max(newest, settled)
    return newest


def _small(path: str, limit: int = _SMALL_LIMIT) -> bytes | None:
    """A regular file's bytes (never through a link, never a wait on a fifo); None: not one, or too large."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _unfollowed(path: str) -> bool:
    """A settings file names other files this reading does not observe (or cannot be read as one)."""
    try:
        data = _small(path)
    except FileNotFoundError:
        return False
    return data is None or any(word in data.lower() for word in _UNFOLLOWED)


def _tracked(index: str) -> list[str] | None:  # noqa: PLR0911 - one exit per thing not read here
    """The paths the index tracks (`/`-separated), None for anything not read in full here (ask git).

    gitformat-index: "DIRC", version, count; entries (ctime, mtime, dev, ino, mode, uid, gid, size, SHA-1, flags,
    the path and 1-8 NULs to a multiple of 8 bytes); extensions (signature, size); a checksum. Versions 2 and 3
    only (4 compresses paths); a gitlink (a submodule, whose own tree counts for --dirty), a folder entry or an
    extension git must understand (a split index's `link`, a sparse index's `sdir`) is None. Unchecked otherwise:
    the index only chooses which files are stat'ed, and its own stat is part of the state.
    """
    try:
        data = _small(index, _INDEX_LIMIT)
    except FileNotFoundError:
        return []  # a repository without an index tracks nothing yet
    if data is None or len(data) < _INDEX_HEAD + _CHECKSUM or data[:4] != b"DIRC":
        return None
    version3 = data[4:8] == b"\0\0\0\x03"
    count = int.from_bytes(data[8:12], "big")
    if not (version3 or data[4:8] == b"\0\0\0\x02") or count > _MAX_FILES:
        return None
    end = len(data) - _CHECKSUM
    offset = _INDEX_HEAD
    found: list[str] = []
    for _ in range(count):
        head = offset + _ENTRY_FIXED
        if head > end or data[offset + _MODE_BYTE] & 0xF0 not in _FILE_TYPES:
            return None  # a gitlink (0xE_) or a sparse index's folder (0x4_)
        high = data[head - 2]
        size = (high & 0x0F) << 8 | data[head - 1]
        if high & 0x40:  # extended flags (version 3): skip-worktree, intent-to-add
            if not version3:
                return None
            head += 2
        stop = head + size
        following = offset + ((stop - offset + 8) & ~7)
        if size == 0xFFF or following > end or data.find(b"\0", head, following) != stop:  # noqa: PLR2004 - long name
            return None
        text = data[head:stop].decode("utf-8", "surrogateescape")
        if text.startswith("/") or any(part in ("", ".", "..", ".git") for part in text.split("/")):
            return None
        found.append(text)
        offset = following
    return found if _skippable_extensions(data, offset, end) else None


def _skippable_extensions(data: bytes, offset: int, end: int) -> bool:
    """The extensions from `offset` fill the index up to its checksum, each one git may skip (signature A-Z)."""
    while offset < end:
        signature = data[offset : offset + 1]
        offset += 8 + int.from_bytes(data[offset + 4 : offset + 8], "big")
        if offset > end or not b"A" <= signature <= b"Z":
            return False  # a split index's `link`, a sparse index's `sdir`
    return offset == end


def _sha256_hex(data: bytes) -> str:
    from corral.infra.sha256 import hexdigest  # no OpenSSL load for small data (hashlib's import: ~2 ms)

    return hexdigest(data)
