"""`corral cache prune`: remove from corral's cache what is provably stale, never what is in use.

Provably stale, by kind:
- records, lock stamps and cached versions as `services.cache_records` judges them (no corral reads them, their
  project is gone, they can never match again; another corral's, and old cached versions, by age);
- uv's input files (`uv-input/<digest>`) no kept rebuild record replays, unused for an hour, and only while no
  project or env lock is held (a running uv may be reading one): looked at before the first and again right before
  each removal (a sync that began meanwhile may have found its input there, and its uv not opened it yet);
- caches keyed by a hash of their inputs (`lock-choices`, `lock-checked`, `fresh-locks`, `served-installs`,
  `seed-wheels`, `doctor-records`, `lock-headstarts`, `lock-exports`, `script-lock-stamps`, `script-projects`),
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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.infra.locks import LockTimeout, file_lock
from corral.infra.own_folder import OwnFolder, usage
from corral.services.cache import TEMP, Removal, RemovalReport, busy_locks, open_root
from corral.services.cache_records import DAMAGED, Ages, Verdict, judge_record, judge_stamp, read_private

if TYPE_CHECKING:
    from collections.abc import Iterator

    from corral.services.context import Context

__all__ = ["DEFAULT_AGE", "PruneReport", "prune"]

DEFAULT_AGE: Final = 30 * 86400.0
_GRACE: Final = 3600.0  # a writer's temporary, an unreferenced uv input: an hour is longer than any write
_AGED: Final = (
    "lock-choices",
    "lock-checked",
    "fresh-locks",
    "served-installs",
    "seed-wheels",
    "doctor-records",
    "lock-headstarts",
    "lock-exports",
    "script-lock-stamps",
    "script-projects",
)


PruneReport = RemovalReport  # `prune`'s name for it


class _Pruner:
    def __init__(self, root: OwnFolder, *, older_than: float, dry_run: bool, now: float) -> None:
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

    def ages(self, st: os.stat_result) -> Ages:
        """How old the entry is against the age limit."""
        return Ages(self.older_than, self.now - st.st_mtime, self.age(st))

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
            if TEMP.fullmatch(name) and not stat.S_ISDIR(st.st_mode):
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


def _record(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        return
    data, why = read_private(fd, name)
    verdict = Verdict(why) if data is None else judge_record(kind, name, data, pruner.ages(st))
    if verdict.why is not None:
        pruner.remove(kind, fd, name, st, verdict.why, verdict.project)
    pruner.replayed.update(verdict.replayed)


def _json_record(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        return
    data, why = read_private(fd, name)
    if data is None:
        verdict = Verdict(why)
    else:
        try:
            found = json.loads(data)
        except ValueError:
            found = None
        verdict = judge_stamp(kind, name, found, pruner.ages(st)) if isinstance(found, dict) else Verdict(DAMAGED)
    if verdict.why is not None:
        pruner.remove(kind, fd, name, st, verdict.why, verdict.project)


def _uv_input(pruner: _Pruner, kind: str, fd: int, name: str, st: os.stat_result) -> None:
    if not stat.S_ISDIR(st.st_mode):
        pruner.remove(kind, fd, name, st, "a file where corral writes a folder")
        return
    if name in pruner.replayed:
        return
    newest = max(st.st_mtime, *(max(s.st_mtime, s.st_atime) for s in _inside(fd, name)))
    if pruner.now - newest <= _GRACE:
        return
    busy = busy_locks(pruner.root)  # again: a command that began since the last look may have just checked this file
    if busy:
        pruner.kept.append(f"{pruner.root.path / kind / name}: {busy} corral command(s) began meanwhile")
        return
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
