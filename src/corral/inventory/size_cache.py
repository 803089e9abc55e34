"""The sizes `envs list` measured, kept in corral's cache so an env that did not change is not walked again.

`<cache>/env-sizes.json` maps each env's real path to the footprint one walk found (`inventory.size`) and the
identity of the files an install or a sync changes: (st_dev, st_ino, mtime_ns, ctime_ns, size) of the env
folder, pyvenv.cfg, bin/ (Scripts/), lib/, each lib/python*/ (and lib64/python*/ when lib64 is no link) and its
site-packages, conda-meta/, corral-env.json and corral's sync stamp. pip and uv add and remove dist-info
folders in site-packages on every install, upgrade and uninstall; corral's sync, add, remove and recreate
rewrite the stamp or replace the env. What none of those catch (a file inside a package folder edited or
replaced by hand, bytecode Python writes into a package's __pycache__ on first import in an env installed
without compiling, as uv does by default) leaves a size that was right when measured: `envs list --json` says
which sizes came from the cache and when they were measured, and `--refresh` walks every env again.

The file lives in the user's cache, never in a project or an env; it is still read as untrusted: anything that
is not what corral writes (not a regular file, larger than the limit, not JSON, wrong types, a group that is
missing) is ignored, entry by entry, and measured again. It is written atomically, and only when something was
measured or dropped; a write that fails only costs the next listing a walk.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Final

from corral.infra.safe_read import read_small
from corral.inventory.size import Footprint, Inodes, walk_footprint

__all__ = ["CACHE_NAME", "SizeCache", "identity"]

CACHE_NAME: Final = "env-sizes.json"
_SCHEMA: Final = 1
_LIMIT: Final = 64 << 20
_TICK: Final = 2.0  # seconds: the coarsest file system clock (FAT)
# What an install, an uninstall or a sync changes (besides lib/<python>/ and its site-packages, found below).
_WATCHED: Final = (
    ".",
    "pyvenv.cfg",
    "bin",
    "Scripts",
    "lib",
    "lib64",
    "Lib",
    "conda-meta",
    "corral-env.json",
    "corral-sync.json",
)
_LIB_PREFIXES: Final = ("python", "pypy")
_FAR: Final = 1 << 63  # no count, inode, size or time corral wrote is this large

Identity = list[list[object]]


def identity(root: str) -> Identity:
    """The stat identity of the files in `root` that installs, uninstalls and syncs change (missing ones too)."""
    found: Identity = []
    modes: dict[str, int] = {}  # what lstat said of each name looked at (the folders below need no second look)
    prefix = root + os.sep

    def add(rel: str) -> None:
        try:
            st = os.lstat(prefix + rel)
        except OSError:
            found.append([rel])
            return
        modes[rel] = st.st_mode
        found.append([rel, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size])

    for rel in _WATCHED:
        add(rel)
    if _is_dir(prefix, "Lib", modes):  # a Windows layout
        add(os.path.join("Lib", "site-packages"))
    for lib in ("lib", "lib64"):
        if lib not in modes or (lib == "lib64" and stat.S_ISLNK(modes[lib])):  # missing; a venv's usual lib64 -> lib
            continue
        try:
            names = sorted(os.listdir(prefix + lib))
        except OSError:
            continue
        for name in names:
            if name.startswith(_LIB_PREFIXES):
                add(os.path.join(lib, name))
                add(os.path.join(lib, name, "site-packages"))
    return found


def _is_dir(prefix: str, rel: str, modes: dict[str, int]) -> bool:
    """os.path.isdir of `rel`, from its lstat when that was no link."""
    mode = modes.get(rel)
    if mode is not None and not stat.S_ISLNK(mode):
        return stat.S_ISDIR(mode)
    return mode is not None and os.path.isdir(prefix + rel)


class SizeCache:
    """Footprints by real path, read from and saved to one cache file; `refresh` ignores what the file holds.

    `lookup` and `measure` may run in several threads at once (a listing measures envs in parallel).
    """

    def __init__(self, path: Path, *, refresh: bool = False) -> None:
        self.path = path
        self._entries: dict[str, tuple[Identity, Footprint]] = {}
        self.pool: dict[str, Inodes] = {}
        self._linked: dict[tuple[int, int], int] = {}
        self._walked: set[str] = set()
        self._dirty = refresh
        if not refresh:
            self._load()

    def footprint(self, real: str) -> tuple[Footprint, bool]:
        """The footprint of the env at real path `real`, and True when it came from the cache (no walk)."""
        now, known = self.lookup(real)
        if known is not None:
            return known, True
        return self.measure(real, now), False

    def holds(self, real: str) -> bool:
        """True when the cache has a footprint for `real` (valid or not: `lookup` tells)."""
        return real in self._entries

    def lookup(self, real: str) -> tuple[Identity, Footprint | None]:
        """The stat identity of the env at `real` now, and the cached footprint it vouches for (None: walk it)."""
        now = identity(real)
        known = self._entries.get(real)
        if known is not None and known[0] == now and not _racy(now, known[1].measured_at):
            return now, known[1]
        return now, None

    def measure(self, real: str, ident: Identity, *, deadline: float | None = None) -> Footprint:
        """Walk the env at `real` and keep its footprint under `ident`; TimeoutError if still walking at `deadline`.

        `ident` is taken before the walk, so a change while walking shows up as a mismatch next time.
        """
        footprint, pool = walk_footprint(real, self._linked, deadline=deadline)
        self.pool.update(pool)
        self._entries[real] = (ident, footprint)
        self._walked.add(real)
        self._dirty = True
        return footprint

    def save(self, keep: set[str] | None = None) -> None:
        """Write the entries of the envs in `keep` (real paths; None: all) if anything changed since the file was read.

        What another process wrote meanwhile (a background measurement, another listing) is kept for the envs this
        one did not walk, when it was measured later than what this one read.
        """
        dropped = set() if keep is None else self._entries.keys() - keep
        for real in dropped:
            del self._entries[real]
        if not (self._dirty or dropped):
            return
        self._merge(keep)
        used = {digest for _, footprint in self._entries.values() for digest, _ in footprint.groups}
        data = {
            "schema": _SCHEMA,
            "envs": {
                real: {
                    "id": ident,
                    "measured_at": fp.measured_at,
                    "private": fp.private,
                    "files": fp.files,
                    "groups": [list(group) for group in fp.groups],
                }
                for real, (ident, fp) in sorted(self._entries.items())
            },
            "pool": {digest: self.pool[digest] for digest in sorted(used)},
        }
        from corral.infra.fs import atomic_write_bytes

        payload = json.dumps(data, separators=(",", ":")).encode()
        with contextlib.suppress(OSError):  # a cache: the next listing walks again
            if len(payload) > _LIMIT:  # would never be read back: drop the old file rather than write this one
                self.path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(self.path, payload)
        self._dirty = False

    def _merge(self, keep: set[str] | None) -> None:
        """Take the file's newer entries for the envs this cache did not walk (and may keep)."""
        if not os.path.lexists(self.path):
            return
        disk = SizeCache(self.path)
        for real, (ident, footprint) in disk._entries.items():
            if real in self._walked or (keep is not None and real not in keep):
                continue
            mine = self._entries.get(real)
            if mine is None or mine[1].measured_at < footprint.measured_at:
                self._entries[real] = (ident, footprint)
                self.pool.update((digest, disk.pool[digest]) for digest, _ in footprint.groups)

    def _load(self) -> None:
        try:
            if os.lstat(self.path).st_size > _LIMIT:  # not read at all (read_small would read up to the limit)
                self._dirty = True
                return
            data = json.loads(read_small(self.path, limit=_LIMIT, what=CACHE_NAME, follow=False))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError, MemoryError):
            self._dirty = True  # damaged or not a file corral wrote: measured again and replaced
            return
        if not isinstance(data, dict) or data.get("schema") != _SCHEMA:
            self._dirty = True
            return
        pool, envs = data.get("pool"), data.get("envs")
        if not isinstance(pool, dict) or not isinstance(envs, dict):
            self._dirty = True
            return
        self.pool = {digest: flat for digest, flat in pool.items() if _is_inodes(flat)}
        for real, entry in envs.items():
            footprint = _footprint(entry, self.pool)
            if footprint is None:
                self._dirty = True
                continue
            self._entries[real] = (entry["id"], footprint)
        self._dirty = self._dirty or len(self.pool) != len(pool)


def _racy(ident: Identity, measured_at: float) -> bool:
    """True when a file of `ident` changed too close to the walk for its timestamps to prove nothing came after.

    A file system stamps times with a coarse clock (a few ms; 2 s on FAT): a change right after the walk could
    leave the same mtime. Such an entry is walked again once; the new walk is late enough to be trusted.
    """
    limit = int((measured_at - _TICK) * 1e9)
    return any(isinstance(time_ns, int) and time_ns >= limit for item in ident for time_ns in item[3:5])


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value < _FAR


def _is_inodes(flat: object) -> bool:
    if not (isinstance(flat, list) and len(flat) % 3 == 0):
        return False
    return not flat or (set(map(type, flat)) == {int} and min(flat) >= 0 and max(flat) < _FAR)


def _footprint(entry: Any, pool: dict[str, Inodes]) -> Footprint | None:  # noqa: ANN401 - JSON of any shape
    """The footprint an entry records, None when it is not one corral wrote (or a group it names is missing)."""
    if not (isinstance(entry, dict) and isinstance(entry.get("id"), list)):
        return None
    groups, at = entry.get("groups"), entry.get("measured_at")
    if not (_count(entry.get("private")) and _count(entry.get("files")) and isinstance(groups, list)):
        return None
    if not (isinstance(at, (int, float)) and not isinstance(at, bool) and 0 <= at < _FAR):  # not NaN, Infinity
        return None
    named: list[tuple[str, int]] = []
    for group in groups:
        if not (isinstance(group, list) and len(group) == 2):  # noqa: PLR2004 - a (digest, bytes) pair
            return None
        if not (isinstance(group[0], str) and group[0] in pool and _count(group[1])):
            return None
        named.append((group[0], group[1]))
    return Footprint(entry["private"], entry["files"], tuple(named), float(at))
