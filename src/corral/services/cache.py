"""corral's cache folder: what each kind of record there holds and weighs (`info`), and removing all of it (`clean`).

Every command rebuilds what it finds missing here, so anything may go; but only corral's own files do. The cache
folder is opened once (a link to it is followed: it is where corral writes), must be the user's own folder that
others cannot write, and is never a file system root or the home folder. Inside it nothing is followed: an entry is
removed only when its folder has a name of corral's (`KINDS`) and its own name is one corral gives (a record is a
hash, a regular file; a link or a fifo there is unlinked, never opened); a folder is removed through
`infra.rmtree` (descriptors, no link followed, no mount crossed) and only where corral writes a folder. Anything
else is left and counted as not corral's. Lock files are never removed (`infra.locks`: a second process could
then hold a new file while a first holds the old one); throwaway envs are `corral envs gc`'s.
`services.cache_prune` removes only what is provably stale.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.infra.locks import LockTimeout, file_lock
from corral.infra.own_folder import OwnFolder, names, open_own_folder, usage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from corral.services.context import Context

__all__ = [
    "KINDS",
    "TEMP",
    "CacheInfo",
    "CleanReport",
    "Kind",
    "KindUsage",
    "OwnFolder",
    "Removal",
    "RemovalReport",
    "busy_locks",
    "cache_dir",
    "clean",
    "info",
    "open_root",
]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of entry in corral's cache: where it lives, what its names look like, what `clean` may do."""

    name: str  # the folder (or file) in the cache
    what: str
    entries: re.Pattern[str] | None = None  # names corral gives inside the folder (None: the entry is a file/tree)
    shape: str = "file"  # "file": entries are files; "folder": entries are folders; "tree": opaque, one tree
    cleaned: bool = True  # False: `clean` keeps it (locks; throwaway envs)
    tops: frozenset[str] = frozenset()  # a "tree": the only top-level names it may hold to be provably corral's


TEMP: Final = re.compile(r"\..+\.tmp")  # a writer's temporary (atomic writes, records, stamps), replaced or left
KINDS: Final[tuple[Kind, ...]] = (
    Kind("quick-records", "no-op records of sync/run, rebuild records", re.compile(r"[0-9a-f]{16}(\.rebuild)?\.txt")),
    Kind("quick-lock-records", "no-op records of lock", re.compile(r"[0-9a-f]{16}\.txt")),
    Kind("lock-stamps", "lock stamps (the inputs of the last lock)", re.compile(r"[0-9a-f]{32}\.json")),
    Kind("project-versions", "dynamic project versions", re.compile(r"[0-9a-f]{32,64}\.json")),
    Kind("lock-choices", "files chosen from a lock per env", re.compile(r"[0-9a-f]{32}\.json")),
    Kind("lock-checked", "locks that passed the check", re.compile(r"[0-9a-f]{40}-[0-9A-Za-z.+!_-]+-[0-9]+")),
    Kind("fresh-locks", "locks found fresh for their pyproject", re.compile(r"[0-9a-f]{32}")),
    Kind("served-installs", "sets of files uv installed here before", re.compile(r"[0-9a-f]{32}")),
    Kind("uv-input", "uv's input files (pylock.toml per install)", re.compile(r"[0-9a-f]{32}"), shape="folder"),
    Kind("seed-wheels", "the pip wheel uv's cache seeds (engines.uv_seed)", re.compile(r"[0-9a-f]{32}\.json")),
    Kind(
        "doctor-records",
        "healthy envs doctor vouches for (beside git's index; whole reports: cli.doctor_quick; files: doctor.files)",
        re.compile(r"[0-9a-f]{16}(\.files)?\.json"),
    ),
    Kind("lock-headstarts", "the last lock's uv plan (resolvers.uv_headstart)", re.compile(r"[0-9a-f]{32}\.txt")),
    Kind("lock-exports", "the last lock's uv exports (resolvers.uv_export_cache)", re.compile(r"[0-9a-f]{32}\.bin")),
    Kind(
        "script-lock-stamps",
        "what each script lock was made from (services.script_lock_stamp)",
        re.compile(r"[0-9a-f]{64}\.json"),
    ),
    Kind(
        "script-projects",
        "projects whose pyproject states no script env's interpreter or index, settings variables found valid"
        " (infra.script_request)",
        re.compile(r"(settings-)?[0-9a-f]{16}\.txt"),
    ),
    Kind("build-envs", "PEP 517 build envs (services.foreign.build_env)", re.compile(r"[0-9a-f]{32}"), shape="folder"),
    Kind("build-env-guesses", "the build env last used per build requirements", re.compile(r"[0-9a-f]{32}\.txt")),
    Kind("interpreters.json", "interpreter identities"),
    Kind("env-sizes.json", "sizes `envs list` measured"),
    Kind("env-health.json", "what `envs list` read of each env's files for its health"),
    Kind("env-sizes.todo.json", "sizes to measure in the background"),
    Kind("cache-pruned", "when the automatic prune last ran (services.cache_auto)"),
    Kind(
        "legacy-lock",
        "pip's and pip-tools' caches (Python 2.7 locks)",
        shape="tree",
        tops=frozenset({"pip", "pip-tools"}),
    ),
    Kind(
        "virtualenv-app-data",
        "virtualenv's app data (Python 2.7 envs)",
        shape="tree",
        tops=frozenset({"py_info", "wheel", "unzip", "wheel_version", "py_info.lock", "wheel.lock", "unzip.lock"}),
    ),
    Kind("project-locks", "project locks (kept)", re.compile(r"[0-9a-f]{24}\.lock"), cleaned=False),
    Kind("env-locks", "env locks (kept)", re.compile(r"[0-9a-f]{24}\.corral-sync\.lock"), cleaned=False),
    Kind("build-env-locks", "build env locks (kept)", re.compile(r"[0-9a-f]{32}(\.compile)?\.lock"), cleaned=False),
    Kind("env-sizes.lock", "the background measurement's lock (kept)", cleaned=False),
    Kind("envs", "throwaway envs (`corral envs gc` removes unused ones)", shape="tree", cleaned=False),
)
_BY_NAME: Final = {kind.name: kind for kind in KINDS}
_BUSY_KINDS: Final = frozenset({"uv-input", "legacy-lock", "virtualenv-app-data", "build-envs"})  # used by uv/pip/hooks


@dataclass(slots=True)
class KindUsage:
    """What one kind holds: entries, bytes on disk, and what is there without being corral's."""

    kind: str
    what: str
    entries: int = 0
    bytes: int = 0
    foreign: list[str] = field(default_factory=list)  # names in its folder corral never gives

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "what": self.what,
            "entries": self.entries,
            "bytes": self.bytes,
            "foreign": self.foreign,
        }


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """`corral cache info`: the folder, each kind's usage, and entries at the top that are not corral's."""

    path: Path
    exists: bool
    kinds: list[KindUsage]
    other: list[str]
    total: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": str(self.path),
            "exists": self.exists,
            "kinds": [k.to_dict() for k in self.kinds],
            "other": self.other,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class Removal:
    """One entry removed (or that would be): its kind, path, bytes and why."""

    kind: str
    path: str
    bytes: int
    why: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "path": self.path, "bytes": self.bytes, "why": self.why}


def cache_dir(ctx: Context) -> Path:
    """The cache folder (it may not exist yet)."""
    return ctx.paths.cache


@contextlib.contextmanager
def open_root(ctx: Context) -> Iterator[OwnFolder | None]:
    """Corral's cache folder opened (None when it does not exist); UsageError when it cannot be corral's."""
    home = ctx.environ.get("HOME") or os.path.expanduser("~")
    with open_own_folder(ctx.paths.cache, home=home or None, what="corral's cache folder") as root:
        yield root


def info(ctx: Context) -> CacheInfo:
    """Each kind's entries and bytes in corral's cache; top-level entries that are not corral's."""
    with open_root(ctx) as root:
        if root is None:
            return CacheInfo(ctx.paths.cache, exists=False, kinds=[], other=[], total=0)
        kinds = [_kind_usage(root, kind) for kind in KINDS]
        other = [name for name in names(root.fd) if name not in _BY_NAME]
        total = sum(k.bytes for k in kinds) + sum(usage(root, name)[0] for name in other)
        return CacheInfo(ctx.paths.cache, exists=True, kinds=kinds, other=other, total=total)


def _kind_usage(root: OwnFolder, kind: Kind) -> KindUsage:
    found = KindUsage(kind.name, kind.what)
    st = root.lstat(kind.name)
    if st is None:
        return found
    found.bytes = usage(root, kind.name)[0]
    if kind.entries is None or not stat.S_ISDIR(st.st_mode):
        found.entries = 1
        return found
    with root.folder(kind.name) as fd:
        inside = names(fd) if fd is not None else []
    found.entries = sum(1 for n in inside if kind.entries.fullmatch(n))
    found.foreign = [n for n in inside if not kind.entries.fullmatch(n) and not TEMP.fullmatch(n)]
    return found


def busy_locks(root: OwnFolder) -> int:
    """How many project, env and build env locks another process holds now (each tried at once, then let go)."""
    busy = 0
    for kind in ("project-locks", "env-locks", "build-env-locks"):
        with root.folder(kind) as fd:
            if fd is None:
                continue
            for name in names(fd):
                st = root.lstat(name, fd)
                if st is None or not stat.S_ISREG(st.st_mode) or not name.endswith(".lock"):
                    continue
                try:
                    with file_lock(root.path / kind / name, timeout=0):
                        pass
                except LockTimeout:
                    busy += 1
                except OSError:
                    continue
    return busy


@dataclass(frozen=True, slots=True)
class RemovalReport:
    """What `clean` or `prune` removed (or would), and what it kept and why."""

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


CleanReport = RemovalReport  # `clean`'s name for it


def clean(ctx: Context, *, dry_run: bool = False) -> CleanReport:
    """Remove every entry of corral's own in its cache (not lock files, not throwaway envs, nothing foreign).

    uv's input files and the 2.7 tools' caches are kept while another corral command holds a project or env lock
    (a running uv or pip may be reading them): looked at right before each is removed, not once at the start.
    """
    removed: list[Removal] = []
    kept: list[str] = []
    with open_root(ctx) as root:
        if root is None:
            return CleanReport([], [], dry_run)
        for kind in KINDS:
            if not kind.cleaned:
                if root.lstat(kind.name) is not None:
                    kept.append(f"{kind.name}: {kind.what}")
                continue
            # looked at right before each such kind (a command that began during the clean may be reading it), and
            # before each uv input (`_clean_entry`)
            busy = busy_locks(root) if kind.name in _BUSY_KINDS else 0
            if busy:
                if root.lstat(kind.name) is not None:
                    kept.append(f"{kind.name}: in use by {busy} running corral command(s)")
                continue
            _clean_kind(root, kind, removed, kept, dry_run=dry_run)
        kept.extend(f"{name}: not corral's" for name in names(root.fd) if name not in _BY_NAME)
    return CleanReport(removed, kept, dry_run)


def _clean_kind(root: OwnFolder, kind: Kind, removed: list[Removal], kept: list[str], *, dry_run: bool) -> None:
    st = root.lstat(kind.name)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode) or kind.shape == "tree":
        _clean_whole(root, kind, st, removed, kept, dry_run=dry_run)
        return
    if kind.entries is None:
        kept.append(f"{kind.name}: a folder where corral writes a file")
        return
    with root.folder(kind.name) as fd:
        if fd is None:
            return
        for name in names(fd):
            entry = _clean_entry(root, kind, fd, name, dry_run=dry_run)
            if entry is None:
                kept.append(f"{kind.name}/{name}: not corral's")
            elif entry.bytes < 0:
                kept.append(f"{kind.name}/{name}: {entry.why}")
            else:
                removed.append(entry)
        if not dry_run:
            with contextlib.suppress(OSError):  # left non-empty: something stayed
                os.rmdir(kind.name, dir_fd=root.fd)


def _clean_whole(
    root: OwnFolder, kind: Kind, st: os.stat_result, removed: list[Removal], kept: list[str], *, dry_run: bool
) -> None:
    """A kind that is one file, or one opaque tree; or a file, link or fifo where corral keeps a folder."""
    size = usage(root, kind.name)[0]
    path = str(root.path / kind.name)
    if stat.S_ISDIR(st.st_mode):
        with root.folder(kind.name) as fd:
            inside = set(names(fd) if fd is not None else [])
        if not inside <= kind.tops:
            kept.append(f"{kind.name}: holds {', '.join(sorted(inside - kind.tops))}, which corral never writes")
            return
        done = dry_run or root.remove_folder(kind.name, st)
    else:  # never opened: unlinked
        done = dry_run or root.unlink(kind.name, root.fd, st)
    if done:
        removed.append(Removal(kind.name, path, size, "corral's cache"))
    else:
        kept.append(f"{kind.name}: could not be removed (in whole or in part)")


def _clean_entry(root: OwnFolder, kind: Kind, fd: int, name: str, *, dry_run: bool) -> Removal | None:
    """The entry removed; None when it is not corral's; bytes -1 when it could not be removed (`why` says why)."""
    st = root.lstat(name, fd)
    if st is None or kind.entries is None:
        return None
    ours = kind.entries.fullmatch(name) or TEMP.fullmatch(name)
    if not ours:
        return None
    size = usage(root, name, fd)[0]
    path = f"{root.path / kind.name / name}"
    is_dir = stat.S_ISDIR(st.st_mode)
    if is_dir and (kind.shape != "folder" or TEMP.fullmatch(name)):
        return None  # a folder where corral writes a file: not provably corral's
    if dry_run:
        return Removal(kind.name, path, size, "corral's cache")
    if kind.name in _BUSY_KINDS and busy_locks(root):
        return Removal(kind.name, path, -1, "a corral command began meanwhile")
    done = root.remove_folder(f"{kind.name}/{name}", st) if is_dir else root.unlink(name, fd, st)
    return (
        Removal(kind.name, path, size, "corral's cache")
        if done
        else Removal(kind.name, path, -1, "could not be removed")
    )
