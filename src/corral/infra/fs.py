"""Atomic file writes and careful directory handling.

Every file corral writes goes through `atomic_write_bytes`: a temporary beside the real file, synced, then
renamed over it. The new file gets the mode a plain `open()` would give it (0666 less the umask), or the mode
of the file it replaces. A symlink is written through, as editors do, only when its real target lies inside
the folder the caller names as `root` (a project): a repository may ship `pyproject.toml -> ~/.bashrc`.
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import os
import stat
from pathlib import Path

from corral.errors import SafetyRefusal, UsageError
from corral.infra.faults import checkpoint
from corral.infra.markers import ATOMIC_SUFFIX, TMP_MARK, atomic_prefix

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final


__all__ = [
    "TMP_MARK",
    "atomic_write_bytes",
    "atomic_write_text",
    "current_umask",
    "dir_size",
    "mount_point",
    "new_file_mode",
    "require_utf8_path",
    "resolve_write_target",
    "shown_path",
]

_UMASK_LOCK = _thread.allocate_lock()  # threading's Lock, without importing threading
_PERMISSIONS: Final = 0o777  # never carry set-user-ID, set-group-ID or sticky bits over to a new file


def current_umask() -> int:
    """The process umask, read without changing it where the system tells (Linux: /proc/self/status)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    # os.umask can only be read by setting it: the stricter 077 is in force for that instant, so a file another
    # thread creates meanwhile is, at worst, more private than asked.
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def new_file_mode(existing_path: Path) -> int:
    """Permission bits for a file written at `existing_path`: those of the file there, else 0666 less the umask."""
    try:
        st = os.stat(existing_path)  # through a symlink: the file a write through it replaces
    except OSError:
        return 0o666 & ~current_umask()
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode) & _PERMISSIONS
    return 0o666 & ~current_umask()


def shown_path(path: Path | str) -> str:
    r"""`path` for a message: bytes that are not UTF-8 shown as \xNN, never as a lone surrogate."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def require_utf8_path(path: Path, what: str) -> None:
    """Refuse (UsageError) a path whose name is not valid UTF-8: corral records paths as UTF-8 text."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError as err:
        msg = (
            f"the {what} {shown_path(path)} has a name that is not valid UTF-8; corral records paths as UTF-8 "
            "text (pyvenv.cfg, pylock.toml, its own records): rename the folder (or choose another name), "
            "then run the command again"
        )
        raise UsageError(msg) from err


def resolve_write_target(path: Path, root: Path) -> Path:
    """The file a write to `path` must replace: `path`, or the real file the symlink at `path` names.

    A symlink is written through only when its real target is a regular file (or nothing yet) inside `root`
    and on `root`'s file system (a file written in `root` can be renamed onto it).

    Raises:
        SafetyRefusal: the link leads outside `root`, to the root itself, to something that is not a file,
            or to another file system.

    """
    try:
        if not stat.S_ISLNK(os.lstat(path).st_mode):
            return path
    except FileNotFoundError:
        return path
    real = os.path.realpath(path)
    why = _not_writable_through(real, os.path.realpath(root))
    if why is not None:
        msg = (
            f"{shown_path(path)} is a symlink to {shown_path(real)}, {why}; corral writes through a link only "
            "to a file inside the project: replace the link with a copy of the file (or edit the target "
            "yourself), then run the command again"
        )
        raise SafetyRefusal(msg)
    return Path(real)


def _not_writable_through(real: str, real_root: str) -> str | None:
    """Why a link whose real target is `real` may not be written through, or None when it may."""
    try:
        inside = os.path.commonpath([real_root, real]) == real_root and real != real_root
    except ValueError:  # another drive
        inside = False
    if not inside:
        return f"outside the project {shown_path(real_root)}"
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return "which is not a regular file"
    except FileNotFoundError:  # a dangling link inside the project: the write creates its target
        pass
    except OSError as err:  # a loop of links, a folder without search permission
        return f"which cannot be followed ({err.strerror})"
    with contextlib.suppress(OSError):
        if os.stat(os.path.dirname(real)).st_dev != os.stat(real_root).st_dev:
            return "on another file system than the project"
    return None


def atomic_write_bytes(path: Path, data: bytes, *, root: Path | None = None) -> Path:
    """Write `data` to `path` through a temporary file beside it and a rename; returns the file written.

    A reader (or a crash) sees the old file or the new one, never half of one. The mode of an existing target
    is kept; a new file gets 0666 less the umask. With `root` (a project file), a symlink at `path` is written
    through when it leads to a file inside `root` (`resolve_write_target`); without it, a link is replaced.
    """
    target = path if root is None else resolve_write_target(path, root)
    mode = new_file_mode(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temp(target.parent, atomic_prefix(target.name), ATOMIC_SUFFIX)
    except OSError as err:  # name the file the caller wanted written, not a temporary one
        raise type(err)(err.errno, err.strerror, str(path)) from err
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            else:  # Windows: only the read-only bit means anything there
                os.chmod(tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        checkpoint(f"write:{path.name}:before-rename")
        os.replace(tmp, target)
        checkpoint(f"write:{path.name}:after-rename")
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno is not None:
            raise type(err)(err.errno, err.strerror, str(path)) from err
        raise
    return target


_TEMP_CHARS: Final = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's: markers.PARTIAL_WRITE_RE knows them
_TEMP_FLAGS: Final = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _new_temp(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """`tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)` without importing tempfile (and shutil, ~1.5 ms).

    The same file: PREFIX + 8 random characters of tempfile's alphabet + SUFFIX, created exclusively (a file or a
    link already there is never opened), mode 0600, opened for reading and writing.
    """
    for _ in range(100):
        name = "".join(_TEMP_CHARS[byte % len(_TEMP_CHARS)] for byte in os.urandom(8))
        path = os.path.abspath(os.path.join(folder, f"{prefix}{name}{suffix}"))
        try:
            return os.open(path, _TEMP_FLAGS, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def atomic_write_text(path: Path, text: str, *, root: Path | None = None) -> Path:
    """Write UTF-8 `text` atomically (see atomic_write_bytes)."""
    return atomic_write_bytes(path, text.encode("utf-8"), root=root)


def mount_point(path: Path | str) -> Path:
    """The mount point of the file system holding `path` (or its nearest existing parent)."""
    here = Path(os.path.abspath(path))
    while not here.exists() and here != here.parent:
        here = here.parent
    try:
        dev = here.stat().st_dev
        while here != here.parent and here.parent.stat().st_dev == dev:
            here = here.parent
    except OSError:
        pass
    return here


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
