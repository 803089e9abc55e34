"""What an env's package and script folders held before a change, so a failed change can take back what it added.

An installer that fails halfway (a full disk, a kill of the tool, a broken wheel) can leave files no installed
distribution lists: `numpy.libs/` copied before the disk filled, a console script whose package never got its
`.dist-info`. Uninstalling cannot find them, and `doctor` sees nothing wrong. `add`/`remove` take an
`EnvSnapshot` of the top-level names in every site-packages folder and the scripts folder before they install
(under the project lock, so nobody else is installing there) and, when the change is not committed, delete
exactly the names that appeared since, before the previous lock is applied again.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EnvSnapshot"]


def _folders(env: Path) -> list[Path]:
    from corral.core.env import Env

    model = Env.at(env)
    return [*model.site_packages(), model.bin_dir]


def _names(folder: Path) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


@dataclass(frozen=True, slots=True)
class EnvSnapshot:
    """The entries of an env's site-packages and scripts folders at one moment."""

    env: Path
    entries: tuple[tuple[Path, frozenset[str]], ...]

    @classmethod
    def take(cls, env: Path) -> EnvSnapshot:
        """Record the names in `env`'s site-packages and scripts folders now (a few `listdir`s)."""
        return cls(env=env, entries=tuple((folder, _names(folder)) for folder in _folders(env)))

    def added(self) -> list[Path]:
        """Entries present now that were not when the snapshot was taken."""
        return [folder / name for folder, before in self.entries for name in sorted(_names(folder) - before)]

    def remove_added(self) -> list[Path]:
        """Delete every entry that appeared since the snapshot (a folder through infra.rmtree); returns them."""
        from corral.infra.rmtree import remove_tree

        removed = []
        for path in self.added():
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    remove_tree(path)
                else:  # a file, or a symlink: the link itself, never what it names
                    path.unlink()
                removed.append(path)
        return removed
