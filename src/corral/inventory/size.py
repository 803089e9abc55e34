"""Real bytes on disk (st_blocks), each inode counted once across everything one counter has measured.

Envs filled from uv's cache share files with it (hard links): summing `du` per env over-counts.
A `SizeCounter` remembers (st_dev, st_ino) across calls, so in a listing a shared file is counted for
the first env that holds it, and the total is what the disk really holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EnvSize", "SizeCounter"]


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


def _bytes(st: os.stat_result) -> int:
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size
