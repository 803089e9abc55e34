"""`corral cache prune`: remove from corral's cache what is provably stale, never what is in use.

Provably stale, by kind:
- a record (`quick-records`, `quick-lock-records`, rebuild records) that no corral reads (not a regular file of
  the user's own that others cannot write, damaged, not at the name its project's path gives), whose project is
  gone (no pyproject.toml), or that can never match again: a file it observed by device, inode and ctime is now
  another file or gone (a ctime never goes back). Another corral version's record: once older than the age;
- a lock stamp or a dynamic version whose project is gone, or not at its project's name;
- uv's input files (`uv-input/<digest>`) no kept rebuild record replays, unused for an hour, and only while no
  project or env lock is held (a running uv may be reading one);
- caches keyed by a hash of their inputs (`lock-choices`, `lock-checked`, `fresh-locks`, `served-installs`),
  where nothing tells whose they are: unused (neither written nor read) for the age;
- a writer's temporary left for an hour.
A record is removed under its project's lock (taken at once or it is kept: a command is running there), and only
when it is still the file that was judged. Lock files, interpreters.json, the size cache (each kept bounded by its
owner), the 2.7 tools' caches and throwaway envs (`corral envs gc`) are left.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral import __version__
from corral.infra.locks import LockTimeout, file_lock
from corral.services.cache import _TEMP, CacheRoot, Removal, busy_locks, open_root, usage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from corral.services.context import Context

__all__ = ["DEFAULT_AGE", "PruneReport", "prune", "record_name"]

DEFAULT_AGE: Final = 30 * 86400.0
_GRACE: Final = 3600.0  # a writer's temporary, an unreferenced uv input: an hour is longer than any write
_RECORD_LIMIT: Final = 1 << 22
_HEADERS: Final = {  # (kind, is a rebuild record) -> header without the version
    ("quick-records", False): "corral-quick-record 1 ",
    ("quick-records", True): "corral-rebuild-record 1 ",
    ("quick-lock-records", False): "corral-quick-lock-record 1 ",
}
_AGED: Final = ("lock-choices", "lock-checked", "fresh-locks", "served-installs")


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What `prune` removed (or would), and what it kept and why."""

    removed: list[Removal]
    kept: list[str]
    dry_run: bool

    @property
    def freed(self) -> int:
        """Bytes removed."""
        return sum(r.bytes for r in self.removed)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "dry_run": self.dry_run,
            "removed": [r.to_dict() for r in self.removed],
            "freed": self.freed,
            "kept": self.kept,
        }


def record_name(project: str) -> str:
    """`cli.quick.record_path`'s file name for `project` (64-bit FNV-1a of its path; a test keeps the two equal)."""
    value = 0xCBF29CE484222325
    for byte in project.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}.txt"


class _Pruner:
    def __init__(self, root: CacheRoot, *, older_than: float, dry_run: bool, now: float) -> None:
        self.root = root
        self.older_than = older_than
        self.dry_run = dry_run
        self.now = now
        self.removed: list[Removal] = []
        self.kept: list[str] = []
        self.replayed: set[str] = set()  # the uv-input folders a kept rebuild record names (`<digest>`)

    def remove(self, kind: str, fd: int, name: str, st: os.stat_result, why: str, project: str | None = None) -> None:
        """Remove the entry (under `project`'s lock when there is one), when it is still the one judged."""
        path = str(self.root.path / kind / name)
        size = usage(self.root, name, fd)[0]
        with self._project_lock(project) as free:
            if not free:
                self.kept.append(f"{path}: a corral command is running in {project}")
                return
            if self.dry_run:
                self.removed.append(Removal(kind, path, size, why))
                return
            done = (
                self.root.remove_folder(f"{kind}/{name}", st)
                if stat.S_ISDIR(st.st_mode)
                else self.root.unlink(name, fd, st)
            )
        if done:
            self.removed.append(Removal(kind, path, size, why))
        else:
            self.kept.append(f"{path}: changed while being judged, or could not be removed")

    @contextlib.contextmanager
    def _project_lock(self, project: str | None) -> Iterator[bool]:
        if project is None:
            yield True
            return
        from corral.services.transaction import project_lock_path

        lock = project_lock_path(Path(project))
        try:
            st = os.lstat(lock)
        except OSError:
            yield True  # no lock file: no command holds it
            return
        if not stat.S_ISREG(st.st_mode):
            yield False
            return
        try:
            with file_lock(lock, timeout=0):
                yield True
        except LockTimeout:
            yield False

    @property
    def days(self) -> str:
        """The age, in days, for messages."""
        return f"{self.older_than / 86400:g}"

    def age(self, st: os.stat_result) -> float:
        """Seconds since the entry was last written or read (atime: read at most a day ago under relatime)."""
        return self.now - max(st.st_mtime, st.st_atime)

    def temporary(self, kind: str, fd: int, name: str, st: os.stat_result) -> None:
        if self.now - st.st_mtime > _GRACE:
            self.remove(kind, fd, name, st, "a writer's temporary left behind")


def prune(ctx: Context, *, older_than: float = DEFAULT_AGE, dry_run: bool = False) -> PruneReport:
    """Remove the provably stale entries of corral's cache (see the module's docstring)."""
    with open_root(ctx) as root:
        if root is None:
            return PruneReport([], [], dry_run)
        pruner = _Pruner(root, older_than=older_than, dry_run=dry_run, now=time.time())
        for kind in ("quick-records", "quick-lock-records"):
            _each(pruner, kind, _record)
        for kind in ("lock-stamps", "project-versions"):
            _each(pruner, kind, _json_record)
        for kind in _AGED:
            _each(pruner, kind, _aged)
        busy = busy_locks(root)
        if busy:
            pruner.kept.append(f"uv-input: in use by {busy} running corral command(s)")
        else:
            _each(pruner, "uv-input", _uv_input)
        return PruneReport(pruner.removed, pruner.kept, dry_run)


def _each(pruner: _Pruner, kind: str, judge: Any) -> None:  # noqa: ANN401 - one of the judges below
    from corral.services.cache import KINDS

    pattern = next(k.entries for k in KINDS if k.name == kind)
    assert pattern is not None  # noqa: S101 - every pruned kind names its entries
    with pruner.root.folder(kind) as fd:
        if fd is None:
            return
        names = sorted(os.listdir(fd))
        for name in names:
            st = pruner.root.lstat(name, fd)
            if st is None:
                continue
            if _TEMP.fullmatch(name) and not stat.S_ISDIR(st.st_mode):
                pruner.temporary(kind, fd, name, st)
            elif pattern.fullmatch(name):
                judge(pruner, kind, fd, name, st)


def _aged(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        return  # a folder where corral writes a file: not provably corral's
    if not stat.S_ISREG(st.st_mode):
        pruner.remove(kind, fd, name, st, "not a regular file: no corral reads it")
    elif pruner.age(st) > pruner.older_than:
        pruner.remove(kind, fd, name, st, f"unused for more than {pruner.days} days")


def _read(fd: int, name: str) -> tuple[bytes | None, str | None]:  # noqa: PLR0911 - one answer per reason
    """(the bytes, None) of a file corral would read, else (None, why no corral reads it)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file: no corral reads it"
        own = os.open(name, flags, dir_fd=fd)
    except PermissionError:
        return None, "unreadable: no corral reads it"
    except OSError:
        return None, None
    try:
        st = os.fstat(own)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _RECORD_LIMIT:
            return None, "not a record corral writes (too big, or not a regular file)"
        if hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return None, "not the user's own private file: no corral reads it"
        return os.read(own, _RECORD_LIMIT + 1), None
    except OSError:
        return None, "unreadable: no corral reads it"
    finally:
        os.close(own)


def _record(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        return
    data, why = _read(fd, name)
    if data is None:
        if why is not None:
            pruner.remove(kind, fd, name, st, why)
        return
    rebuild = name.endswith(".rebuild.txt")
    lines = data.decode("utf-8", "replace").split("\n")
    header = _HEADERS[(kind, rebuild)]
    if len(lines) < 3 or not lines[0].startswith(header) or lines[-1] != "end":  # noqa: PLR2004 - header, project, end
        if not lines[0].startswith("corral-"):
            pruner.remove(kind, fd, name, st, "damaged: no corral reads it")
        elif pruner.now - st.st_mtime > pruner.older_than:  # another corral's format (or damaged): by its age
            pruner.remove(kind, fd, name, st, f"not this corral's format, written {pruner.days} days ago or more")
        return
    project = _project(lines[1], rebuild=rebuild)
    if project is None or not os.path.isabs(project):
        pruner.remove(kind, fd, name, st, "damaged: no corral reads it")
        return
    why = _stale_record(pruner, lines, project, name, st, rebuild=rebuild)
    if why is not None:
        pruner.remove(kind, fd, name, st, why, project)
    elif rebuild:
        pruner.replayed.update(_uv_inputs(lines))


def _project(line: str, *, rebuild: bool) -> str | None:
    if not line.startswith("project "):
        return None
    text = line[len("project ") :]
    if not rebuild:
        return text
    try:
        return bytes.fromhex(text).decode("utf-8")
    except ValueError:
        return None


def _stale_record(
    pruner: _Pruner, lines: list[str], project: str, name: str, st: os.stat_result, *, rebuild: bool
) -> str | None:
    """Why the parsed record is stale, or None."""
    variables = "\n".join(line for line in lines if line.startswith("environ "))
    expected = record_name(f"{project}\n{variables}" if rebuild else project)
    if rebuild:
        expected = expected[: -len(".txt")] + ".rebuild.txt"
    if name != expected:
        return "not at the name its project gives: no corral reads it"
    gone = _project_gone(project)
    if gone is not None:
        return gone
    changed = next((path for path in _observed_changes(lines)), None)
    if changed is not None:
        return f"{changed} changed since: the record can never match again"
    if lines[0].rsplit(" ", 1)[-1] != __version__ and pruner.now - st.st_mtime > pruner.older_than:
        return f"another corral version's, written {pruner.days} days ago or more"
    return None


def _project_gone(project: str) -> str | None:
    try:
        os.stat(os.path.join(project, "pyproject.toml"))
    except (FileNotFoundError, NotADirectoryError):
        return f"its project is gone: {os.path.join(project, 'pyproject.toml')} does not exist"
    except OSError:
        return None
    return None


def _observed_changes(lines: list[str]) -> Iterator[str]:
    """Paths a record observed by (device, inode, ctime) that are now another file or gone."""
    for line in lines:
        parts = line.split(" ", 9)
        if len(parts) != 10 or not all(p.isdigit() for p in parts[1:9]):  # noqa: PLR2004 - label, 8 fields, path
            continue
        recorded = (int(parts[1]), int(parts[2]), int(parts[8]))
        path = parts[9]
        seen: list[tuple[int, int, int]] = []
        unknown = False
        for follow in (True, False):
            try:
                now = os.stat(path, follow_symlinks=follow)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                unknown = True
                continue
            seen.append((now.st_dev, now.st_ino, now.st_ctime_ns))
        if not unknown and recorded not in seen:
            yield path


def _uv_inputs(lines: list[str]) -> Iterator[str]:
    """The uv-input folders (`<digest>`) of the files a rebuild record's uv command reads (`input <hex path> ...`)."""
    for line in lines:
        if line.startswith("input "):
            with contextlib.suppress(ValueError, IndexError):
                folder, file = os.path.split(os.path.normpath(bytes.fromhex(line.split(" ")[1]).decode("utf-8")))
                if file == "pylock.toml" and os.path.basename(os.path.dirname(folder)) == "uv-input":
                    yield os.path.basename(folder)


def _json_record(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        return
    data, why = _read(fd, name)
    if data is None:
        if why is not None:
            pruner.remove(kind, fd, name, st, why)
        return
    try:
        found = json.loads(data)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        pruner.remove(kind, fd, name, st, "damaged: no corral reads it")
        return
    why, project = _judge_json(pruner, kind, name, st, found)
    if why is not None:
        pruner.remove(kind, fd, name, st, why, project)


def _judge_json(
    pruner: _Pruner, kind: str, name: str, st: os.stat_result, found: dict[str, Any]
) -> tuple[str | None, str | None]:
    """(why the stamp or version is stale or None, its project)."""
    inputs = found.get("inputs")
    root = found.get("root") if kind == "project-versions" else inputs.get("root") if isinstance(inputs, dict) else None
    ours = found.get("corral", __version__) == __version__
    unused = pruner.age(st) > pruner.older_than
    if not isinstance(root, str) or not os.path.isabs(root):
        if ours:
            return "damaged: no corral reads it", None
        return (f"another corral version's, unused for {pruner.days} days" if unused else None), None
    gone = _project_gone(root)
    if gone is not None:
        return gone, root
    if kind == "lock-stamps" and name != f"{_project_key(root)}.json":
        return "not at the name its project gives: no corral reads it", root
    if unused and (kind == "project-versions" or not ours):  # a version is cached per commit: old ones pile up
        return f"unused for more than {pruner.days} days", root
    return None, root


def _project_key(root: str) -> str:
    from corral.infra.journals import project_key

    return project_key(Path(root))


def _uv_input(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if not stat.S_ISDIR(st.st_mode):
        pruner.remove(kind, fd, name, st, "a file where corral writes a folder")
        return
    if name in pruner.replayed:
        return
    newest = max(st.st_mtime, *(max(s.st_mtime, s.st_atime) for s in _inside(fd, name)))
    if pruner.now - newest > _GRACE:
        pruner.remove(kind, fd, name, st, "no rebuild record replays it")


def _inside(fd: int, name: str) -> list[os.stat_result]:
    """The stat of each entry directly in the folder `name` (its pylock.toml), never followed."""
    from corral.infra.rmtree import open_folder

    try:
        inner = open_folder(name, dir_fd=fd)
    except OSError:
        return []
    try:
        found = []
        for child in os.listdir(inner):
            with contextlib.suppress(OSError):
                found.append(os.stat(child, dir_fd=inner, follow_symlinks=False))
        return found
    finally:
        os.close(inner)
