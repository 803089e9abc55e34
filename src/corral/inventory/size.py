"""Real bytes on disk (st_blocks), each inode counted once across everything one counter has measured.

Envs filled from uv's cache share files with it (hard links): summing `du` per env over-counts.
A `SizeCounter` remembers (st_dev, st_ino) across calls, so in a listing a shared file is counted for
the first env that holds it, and the total is what the disk really holds.

`envs list` keeps what a walk found (`Footprint`) in corral's cache (`inventory.size_cache`), so a walk of
thousands of files is not redone for an env that did not change. A footprint can be combined across envs
later without walking again (`Tally`): the blocks only one env can hold (folders, files with a single link)
are a number; the hard-linked files are kept as (st_dev, st_ino, bytes) lists, one per top folder of
site-packages (one per folder elsewhere) and named by a digest of their inodes, so envs that link the same
files from uv's cache (or copies made with `cp -al`) share the same groups and each group is counted once.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

__all__ = ["EnvSize", "Footprint", "SizeCounter", "Tally", "walk_footprint"]


@dataclass(frozen=True, slots=True)
class EnvSize:
    """`bytes`: blocks not counted before; `exclusive`: blocks of files with no other hard link.

    `exclusive` is what deleting the env surely frees.
    """

    bytes: int
    exclusive: int
    files: int


@dataclass
class SizeCounter:
    """Counts bytes under folders; an inode seen in an earlier call is not counted again."""

    seen: set[tuple[int, int]] = field(default_factory=set)

    def measure(self, root: Path | str) -> EnvSize:
        """Walk `root` without following symlinks."""
        total = exclusive = files = 0
        try:
            stack = [(os.fspath(root), os.lstat(root).st_dev)]
        except OSError:
            return EnvSize(0, 0, 0)
        seen = self.seen
        while stack:
            folder, dev = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                is_dir = entry.is_dir(follow_symlinks=False)
                # a non-folder lives on its folder's device: (dev, d_ino) identifies it without a stat call,
                # which skips most of the work for files hard-linked from a cache and already counted
                if not is_dir and (dev, entry.inode()) in seen:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    stack.append((entry.path, st.st_dev))
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue
                seen.add(key)
                used = _bytes(st)
                total += used
                files += 1
                if is_dir or st.st_nlink <= 1:
                    exclusive += used
        return EnvSize(total, exclusive, files)


# A group of hard-linked files: a flat list (st_dev, st_ino, bytes, st_dev, st_ino, bytes, ...) sorted by inode.
Inodes = list[int]


@dataclass(frozen=True, slots=True)
class Footprint:
    """What one walk of an env found, in a form that can be kept and combined with other envs' later.

    `private`: blocks of the folders and of the files with a single link (only this env holds them; what deleting
    it surely frees). `groups`: (digest, bytes) of each group of hard-linked files, whose inodes are in the pool
    the walk returned (or the cache keeps) under that digest. `measured_at`: when the walk ran (epoch seconds).
    """

    private: int
    files: int
    groups: tuple[tuple[str, int], ...]
    measured_at: float


def walk_footprint(
    root: Path | str, linked: dict[tuple[int, int], int] | None = None, *, deadline: float | None = None
) -> tuple[Footprint, dict[str, Inodes]]:
    """Walk `root` (symlinks not followed) into a footprint and the inodes of its groups, by digest.

    `linked` remembers (st_dev, st_ino) -> bytes of the hard-linked files seen by earlier walks of the same
    listing, so a file another env links is not stat-ed again (as in SizeCounter); walks in several threads may
    share it. `deadline` (a time.monotonic() value): TimeoutError when the walk is still going then (checked
    before each folder; what was counted so far is dropped).
    """
    started = time.time()
    walk = _Walk({} if linked is None else linked)
    try:
        stack: list[tuple[str, int, str | None]] = [(os.fspath(root), os.lstat(root).st_dev, None)]
    except OSError:
        return Footprint(0, 0, (), started), {}
    while stack:
        if deadline is not None and time.monotonic() > deadline:
            msg = f"{os.fspath(root)} was not measured in time"
            raise TimeoutError(msg)
        stack.extend(walk.folder(*stack.pop()))
    named, pool = _named(walk.groups)
    return Footprint(walk.private, walk.files, named, started), pool


class _Walk:
    """The counts of one walk_footprint, one folder at a time."""

    def __init__(self, linked: dict[tuple[int, int], int]) -> None:
        self.linked = linked
        self.private = self.files = 0
        self.groups: dict[str, list[tuple[int, int, int]]] = {}
        self.folders: set[tuple[int, int]] = set()

    def folder(self, folder: str, dev: int, label: str | None) -> list[tuple[str, int, str | None]]:
        """Count the entries of `folder`; returns its subfolders to walk (path, st_dev, group label)."""
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return []
        # below site-packages each top folder (a package, a dist-info) is one group; elsewhere each folder is
        top = label is None and os.path.basename(folder) == "site-packages"
        bucket = None if top else self.groups.setdefault(label or folder, [])
        linked, below = self.linked, []
        private = files = 0
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in self.folders:
                    self.folders.add((st.st_dev, st.st_ino))
                    files += 1
                    private += _bytes(st)
                    below.append((entry.path, st.st_dev, entry.path if top else label))
                continue
            # a non-folder lives on its folder's device: (dev, d_ino) identifies it without a stat call, which
            # skips most of the work for files hard-linked from a cache and met in an earlier walk
            ino = entry.inode()
            key = (dev, ino)
            used = linked.get(key)
            if used is None:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                used = _bytes(st)
                if st.st_nlink <= 1:
                    files += 1
                    private += used
                    continue
                linked[key] = used
            # (a file linked twice inside this env is in its groups twice: Tally counts each inode once)
            files += 1
            (self.groups.setdefault(entry.path, []) if bucket is None else bucket).append((dev, ino, used))
        self.private += private
        self.files += files
        return below


def _named(groups: dict[str, list[tuple[int, int, int]]]) -> tuple[tuple[tuple[str, int], ...], dict[str, Inodes]]:
    """((digest, bytes) of each non-empty group, sorted; the inodes of each by digest)."""
    pool: dict[str, Inodes] = {}
    named: list[tuple[str, int]] = []
    for members in groups.values():
        if not members:
            continue
        members.sort()
        flat = list(chain.from_iterable(members))
        digest = hashlib.blake2b(array("Q", flat).tobytes(), digest_size=12).hexdigest()
        if digest not in pool:
            pool[digest] = flat
            named.append((digest, sum(flat[2::3])))
    return tuple(sorted(named)), pool


@dataclass
class Tally:
    """Adds footprints of a listing's envs: a hard-linked file is counted for the first env that holds it."""

    digests: set[str] = field(default_factory=set)
    inodes: set[tuple[int, int]] = field(default_factory=set)

    def add(self, footprint: Footprint, pool: dict[str, Inodes]) -> int:
        """The bytes `footprint` adds to what was counted before (its private blocks plus linked files not seen)."""
        total = footprint.private
        for digest, _ in footprint.groups:
            if digest in self.digests:
                continue
            self.digests.add(digest)
            flat = pool[digest]
            sizes = dict(zip(zip(flat[0::3], flat[1::3], strict=True), flat[2::3], strict=True))
            new = sizes.keys() - self.inodes
            self.inodes.update(new)
            total += sum(sizes[key] for key in new)
        return total


def _bytes(st: os.stat_result) -> int:
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size
