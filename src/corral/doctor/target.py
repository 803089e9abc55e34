"""What the checks look at: one env on disk, its project (if it is the project's env) and its base interpreter.

The env's own files are read here; what only the service layer can answer comes from the `Host` it was given.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.env import Env
from corral.core.lock_fingerprint import LOCK_FILE
from corral.core.pyversion import python_version

if TYPE_CHECKING:
    from corral.core.layout import EnvLayout
    from corral.core.provenance import Provenance
    from corral.core.pyvenv_cfg import PyvenvCfg
    from corral.discovery.prober import CachedProber
    from corral.doctor.interface import Host, ProjectView

__all__ = ["Target"]


class Target:
    """One env under examination; everything is read lazily and at most once."""

    def __init__(self, root: Path, *, host: Host, prober: CachedProber) -> None:
        self.root = root.absolute()
        self.env = Env.at(self.root)  # where its parts are (nothing read yet)
        self.host = host
        self.project: ProjectView | None = host.project
        self.prober = prober
        self.probed = False  # True when an interpreter had to be started (its identity changed or was unknown)
        self.skipped: list[str] = []

    @property
    def layout(self) -> EnvLayout:
        """bin/ or Scripts/ layout."""
        return self.env.layout

    @property
    def bin_dir(self) -> Path:
        """Folder of the env's executables."""
        return self.env.bin_dir

    @property
    def python(self) -> Path:
        """The env's interpreter link."""
        return self.env.python

    @cached_property
    def cfg(self) -> PyvenvCfg:
        """pyvenv.cfg (OSError when it cannot be read)."""
        from corral.infra.envfiles import read_env

        return read_env(self.root).cfg

    @cached_property
    def provenance(self) -> Provenance | None:
        """Corral's record in the env, if any."""
        return self.host.read_provenance(self.root)

    @cached_property
    def distributions(self) -> dict[str, str]:
        """{name: version} installed in the env (from metadata on disk)."""
        return self.host.installed(self.root, windows=self.env.windows)

    @cached_property
    def is_project_env(self) -> bool:
        """The env is the project's own env (so the lock and [tool.corral] apply); asked by most checks, found once."""
        return self.project is not None and os.path.realpath(self.project.env_path) == os.path.realpath(self.root)

    @property
    def lock_path(self) -> Path | None:
        """The project's lock file path (may not exist)."""
        return self.project.root / LOCK_FILE if self.project else None

    @property
    def recorded_version(self) -> tuple[int, ...] | None:
        """The base version pyvenv.cfg recorded at creation."""
        return python_version(self.cfg.version)

    @cached_property
    def base_executable(self) -> Path | None:
        """The base interpreter binary the env runs: the resolved python link, else a python in `home`."""
        if self.python.is_symlink():
            real = Path(os.path.realpath(self.python))
            return real if real.exists() and not _inside(real, self.root) else None
        home = self.cfg.home
        if not home:
            return None
        version = self.recorded_version
        names = (
            ["python3", "python"]
            if version is None
            else [f"python{version[0]}.{version[1]}", f"python{version[0]}", "python"]
        )
        for name in names:
            candidate = Path(home) / name
            if candidate.exists():
                return Path(os.path.realpath(candidate))
        return None

    @cached_property
    def base_refusal(self) -> str | None:
        """Why the base interpreter is never started: it lies inside the project (the host's exec guard)."""
        exe = self.base_executable
        return None if exe is None else self.host.base_refusal(exe, self.root)

    @cached_property
    def python_refusal(self) -> str | None:
        """Why the env's own python is never started: its base, its program or its `home` is a project's file."""
        return self.base_refusal or self.host.env_refusal(self.root)

    @cached_property
    def base_identity(self) -> dict[str, Any] | None:
        """The base interpreter's CURRENT identity: from the probe cache when its file is unchanged, else probed.

        None when it cannot run, or must not (`base_refusal`).
        """
        exe = self.base_executable
        if exe is None or self.base_refusal is not None:
            return None
        hit = self.prober.cached(exe)
        if hit is not None:
            return hit
        from corral.errors import InterpreterNotFound

        self.probed = True
        try:
            return self.prober.probe(exe)
        except InterpreterNotFound:
            return None

    @cached_property
    def stamp_selection(self) -> str | None:
        """The selection key the sync side recorded in the env's sync stamp (None without a stamp)."""
        return self.host.stamp_selection(self.root)

    @cached_property
    def sync_clean(self) -> bool:
        """The sync stamp proves the env is exactly the current, fresh lock (stdlib only: no lock parsing)."""
        if not self.is_project_env or self.lock_path is None or self.stamp_selection is None:
            return False
        return self.host.sync_clean(self.root, self.lock_path, self.stamp_selection)

    def fix_command(self, project_fix: str) -> str:
        """`project_fix` for the project's env; `corral doctor --fix PATH` for any other env."""
        return project_fix if self.is_project_env else f"corral doctor --fix {self.root}"


def _inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True
