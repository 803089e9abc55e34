"""What the checks look at: one env on disk, its project (if it is the project's env) and its base interpreter."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.layout import EnvLayout
from corral.core.lockinputs import LOCK_FILE
from corral.core.pyvenv_cfg import PyvenvCfg

if TYPE_CHECKING:
    from corral.core.provenance import Provenance
    from corral.discovery.prober import CachedProber
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["LOCK_FILE", "Target", "version_tuple"]



def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """(3, 11, 2) from "3.11.2" or "3.11.2.final.0"; None when unreadable."""
    if not text:
        return None
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) if len(parts) >= 2 else None  # noqa: PLR2004 - major.minor at least


class Target:
    """One env under examination; everything is read lazily and at most once."""

    def __init__(self, root: Path, *, ctx: Context, project: Project | None, prober: CachedProber) -> None:
        self.root = root.absolute()
        self.ctx = ctx
        self.project = project
        self.prober = prober
        self.probed = False  # True when an interpreter had to be started (its identity changed or was unknown)
        self.skipped: list[str] = []

    @cached_property
    def layout(self) -> EnvLayout:
        """bin/ or Scripts/ layout."""
        return EnvLayout.for_path(self.root)

    @property
    def bin_dir(self) -> Path:
        """Folder of the env's executables."""
        return Path(str(self.layout.bin_dir))

    @property
    def python(self) -> Path:
        """The env's interpreter link."""
        return Path(str(self.layout.python))

    @cached_property
    def cfg(self) -> PyvenvCfg:
        """pyvenv.cfg."""
        from corral.infra.envfiles import read_pyvenv_cfg  # noqa: PLC0415

        return PyvenvCfg.parse(read_pyvenv_cfg(self.root).decode("utf-8", errors="replace"))

    @cached_property
    def provenance(self) -> Provenance | None:
        """Corral's record in the env, if any."""
        from corral.services.inspection import read_provenance  # noqa: PLC0415

        return read_provenance(self.root)

    @cached_property
    def distributions(self) -> dict[str, str]:
        """{name: version} installed in the env (from metadata on disk)."""
        from corral.services.inspection import installed_distributions, site_packages_dirs  # noqa: PLC0415

        return installed_distributions(site_packages_dirs(self.root, self.layout))

    @property
    def is_project_env(self) -> bool:
        """The env is the project's own env (so the lock and [tool.corral] apply)."""
        return self.project is not None and os.path.realpath(self.project.env_path) == os.path.realpath(self.root)

    @property
    def lock_path(self) -> Path | None:
        """The project's lock file path (may not exist)."""
        return self.project.root / LOCK_FILE if self.project else None

    @property
    def recorded_version(self) -> tuple[int, ...] | None:
        """The base version pyvenv.cfg recorded at creation."""
        return version_tuple(self.cfg.version)

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
        names = ["python3", "python"] if version is None else [f"python{version[0]}.{version[1]}",
                                                                 f"python{version[0]}", "python"]
        for name in names:
            candidate = Path(home) / name
            if candidate.exists():
                return Path(os.path.realpath(candidate))
        return None

    @cached_property
    def base_refusal(self) -> str | None:
        """Why the base interpreter is never started: it lies inside the project (`services.exec_guard`)."""
        exe = self.base_executable
        if exe is None:
            return None
        from corral.services.exec_guard import project_roots, start_refusal  # noqa: PLC0415

        return start_refusal(self.ctx.paths, exe, project_roots(self.ctx, self.root), base=True)

    @cached_property
    def python_refusal(self) -> str | None:
        """Why the env's own python is never started: its base, its program or its `home` is a project's file."""
        from corral.services.exec_guard import env_refusal  # noqa: PLC0415

        return self.base_refusal or env_refusal(self.ctx, self.root)

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
        from corral.errors import InterpreterNotFound  # noqa: PLC0415

        self.probed = True
        try:
            return self.prober.probe(exe)
        except InterpreterNotFound:
            return None

    @cached_property
    def stamp_selection(self) -> str | None:
        """The selection key the sync side recorded in the env's sync stamp (None without a stamp)."""
        from corral.services.sync.stamp import read_stamp  # noqa: PLC0415 - stdlib-only module

        key = (read_stamp(self.root) or {}).get("selection")
        return key if isinstance(key, str) else None

    @cached_property
    def sync_clean(self) -> bool:
        """The sync stamp proves the env is exactly the current, fresh lock (stdlib only: no lock parsing)."""
        if not self.is_project_env or self.lock_path is None or self.stamp_selection is None:
            return False
        from corral.services.sync.stamp import is_noop  # noqa: PLC0415

        assert self.project is not None  # noqa: S101 - is_project_env
        return is_noop(env=self.root, lock_path=self.lock_path, pyproject=self.project.pyproject,
                       selection_key=self.stamp_selection, frozen=False, environ=self.ctx.environ)

    def fix_command(self, project_fix: str) -> str:
        """`project_fix` for the project's env; `corral doctor --fix PATH` for any other env."""
        return project_fix if self.is_project_env else f"corral doctor --fix {self.root}"


def _inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True
