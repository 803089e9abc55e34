"""The service layer's side of the doctor contract (`corral.doctor.interface`), for one context.

`ContextHost` answers what the checks ask (`Host`): corral's record and packages in an env, the exec guard, the
sync stamp, lock freshness, the project's Python request, kernels. `ContextRepairs` makes the repairs only a
service can (`Repairs`): rebuild, relocate, upgrade, sync, lock, resume a recreate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.provenance import Provenance
    from corral.core.pylock_select import Chosen
    from corral.core.selection import Selection
    from corral.doctor.interface import UnmetRequest
    from corral.infra.paths import CorralPaths
    from corral.kernels.registry import KernelEntry
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["ContextHost", "ContextRepairs"]


class ContextHost:
    """What the checks ask the service layer (`corral.doctor.interface.Host`), answered for one context."""

    def __init__(self, ctx: Context, project: Project | None) -> None:
        self.ctx = ctx
        self._project = project
        self._packages_read = False  # the env's metadata was read (an observation taken later proves nothing)
        self._unrecorded: list[list[object]] | None = None  # the observation a healthy report records
        self._compared = self._fresh = False  # this check chose the lock's packages / found the lock fresh

    @property
    def paths(self) -> CorralPaths:
        """Corral's folders."""
        return self.ctx.paths

    @property
    def project(self) -> Project | None:
        """The project around the env, if any."""
        return self._project

    def read_provenance(self, env: Path) -> Provenance | None:
        """Corral's record in `env`."""
        from corral.services.inspection import read_provenance

        return read_provenance(env)

    def installed(self, env: Path, *, windows: bool) -> dict[str, str]:
        """{name: version} installed in `env`."""
        from corral.core.env import Env
        from corral.services.inspection import installed_distributions

        self._packages_read = True
        return installed_distributions(Env.at(env, windows=windows).site_packages())

    def seed_packages(self, env: Path, *, windows: bool) -> frozenset[str]:
        """`services.inspection.seed_closure` of `env`."""
        from corral.core.env import Env
        from corral.services.inspection import seed_closure

        self._packages_read = True
        return seed_closure(Env.at(env, windows=windows).site_packages())

    def moved_folders(self, env: Path, chosen: list[Chosen], installed: dict[str, str], *, windows: bool) -> list[str]:
        """`services.inspection.moved_folders` of `env`."""
        from corral.core.env import Env
        from corral.services.inspection import moved_folders

        return moved_folders(Env.at(env, windows=windows).site_packages(), chosen, installed)

    def base_refusal(self, exe: Path, env: Path) -> str | None:
        """Why the base interpreter `exe` is never started (`services.exec_guard`)."""
        from corral.services.exec_guard import project_roots, start_refusal, unlisted_base

        roots = project_roots(self.ctx, env)
        return start_refusal(self.ctx.paths, exe, roots, base=True) or unlisted_base(self.ctx, exe, env)

    def env_refusal(self, env: Path) -> str | None:
        """Why `env`'s own python is never started (`services.exec_guard`)."""
        from corral.services.exec_guard import env_refusal

        return env_refusal(self.ctx, env)

    def stamp_selection(self, env: Path) -> str | None:
        """The selection key of `env`'s sync stamp."""
        from corral.services.sync.stamp import read_stamp

        key = (read_stamp(env) or {}).get("selection")
        return key if isinstance(key, str) else None

    def sync_clean(self, env: Path, lock_path: Path, selection_key: str) -> bool:
        """The sync stamp proves `env` is exactly the current, fresh lock (stdlib only: no lock parsing).

        Or it holds in all but git's index, and doctor's record of the last healthy check proves the rest
        (`services.doctor_record`); when it does not, the observation is kept for `remember_healthy`.
        """
        from corral.services.sync.stamp import STAMP_FILE, read_stamp_bytes

        stamp = env / STAMP_FILE
        data = read_stamp_bytes(env)
        if data is None:
            return False
        if self._stamp_holds(env, lock_path, selection_key, data):
            return True
        if self._packages_read or not self._stamp_holds(env, lock_path, selection_key, data, git=False):
            return False
        from corral.services import doctor_record

        rows = doctor_record.observe(env, stamp)
        if rows is None or read_stamp_bytes(env) != data:
            return False
        if doctor_record.matches(self.ctx.paths.cache, env, rows):
            return True
        self._unrecorded = rows
        return False

    def _stamp_holds(self, env: Path, lock_path: Path, key: str, data: bytes, *, git: bool = True) -> bool:
        """`stamp.is_noop` on the stamp's bytes `data`; `git=False`: as if git's index were the one it records."""
        from corral.services.sync.stamp import is_noop

        assert self._project is not None  # noqa: S101 - the target asks only for the project's env
        return is_noop(
            env=env,
            lock_path=lock_path,
            pyproject=self._project.pyproject,
            selection_key=key,
            frozen=False,
            environ=self.ctx.environ,
            stamp_bytes=data,
            git_index=git,
        )

    def remember_healthy(self, env: Path, lock_path: Path, selection_key: str) -> None:
        """Record the observation `sync_clean` kept, if the stamp still holds.

        Only when this check compared the env with the lock and found the lock fresh (and the caller saw neither
        comparison find anything).
        """
        rows, self._unrecorded = self._unrecorded, None
        if rows is None or not (self._compared and self._fresh):
            return
        from corral.services import doctor_record
        from corral.services.sync.stamp import STAMP_FILE, read_stamp_bytes

        data = read_stamp_bytes(env)
        if data is None or not self._stamp_holds(env, lock_path, selection_key, data, git=False):
            return
        if doctor_record.observe(env, env / STAMP_FILE) == rows:
            doctor_record.write(self.ctx.paths.cache, env, rows)

    def lock_is_fresh(self, lock_path: Path) -> bool:
        """`lock_path` was written for the project's current inputs."""
        from corral.services.lock_inputs import is_fresh  # not services.lock: no resolver, no dataclasses

        assert self._project is not None  # noqa: S101 - the target asks only for the project's env
        self._fresh = is_fresh(self._project, lock_path, ctx=self.ctx)
        return self._fresh

    def lock_stale_reason(self, lock_path: Path) -> str:
        """`services.lock_staleness.stale_lock_message` for the project's lock."""
        from corral.services.lock_staleness import stale_lock_message

        assert self._project is not None  # noqa: S101 - the target asks only for the project's env
        return stale_lock_message(self.ctx, self._project, lock_path)

    def locked_packages(
        self, lock_path: Path, info: InterpreterInfo, selection: Selection, key: str | None
    ) -> list[Chosen]:
        """What a sync of `selection` (its stamp's `key`; None: the defaults) chooses from `lock_path` for `info`.

        The sync's own answer, from corral's cache when a sync or a lock gave it before
        (`services.sync.selection_cache`: no TOML, no `packaging` then).
        """
        from corral.services.sync.selection_cache import choose
        from corral.services.sync.stamp import selection_key

        key = key if key is not None else selection_key(groups=None, extras=())
        chosen = choose(lock_path, target=info, selection=selection, selection_key=key, cache_dir=self._choices)
        self._compared = True
        return chosen

    @property
    def _choices(self) -> Path:
        return self.ctx.paths.cache / "lock-choices"  # the folder `services.sync.apply` chooses through

    def unmet_request(self, info: InterpreterInfo) -> UnmetRequest | None:
        """The project's Python request `info` does not meet."""
        from corral.doctor.interface import UnmetRequest
        from corral.services.python import unmet_request

        wanted = unmet_request(self.ctx, info)
        return None if wanted is None else UnmetRequest(spec=str(wanted.spec), source=wanted.source)

    def kernels(self, env: Path) -> tuple[list[KernelEntry], set[str]]:
        """(every kernelspec, the resource folders of those that start `env`).

        The project's own env is one of the folders every listing searches, so its kernels are picked from the one
        listing (`kernels_for_env` would list the same folders again); any other env's share is searched too.
        """
        import os

        from corral.kernels.registry import points_at
        from corral.services.kernels import kernels_for_env, list_all

        entries = list_all(self.ctx)
        if self._project is not None and Path(os.path.abspath(env)) == self._project.env_path:
            return entries, {str(e.resource_dir) for e in entries if points_at(e, env)}
        return entries, {str(e.resource_dir) for e in kernels_for_env(env, ctx=self.ctx)}


class ContextRepairs:
    """The repairs only a service can make (`corral.doctor.interface.Repairs`), for one context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def rebuild(self, python: str | None) -> str:
        """Rebuild the project's env from the lock through the atomic recreate (the old env kept on failure)."""
        from corral.services.recreate import recreate

        done = recreate(self.ctx, python=python)
        return f"rebuilt {done.env} with Python {done.python} ({done.packages} packages from the {done.source})"

    def environ(self) -> dict[str, str]:
        """The environment an installer program gets."""
        from corral.infra.environ import engine_environ

        return engine_environ(self.ctx.environ)

    def relocate(self, env: Path, old: str) -> int:
        """Rewrite `old` to `env` in the env's files; a moved env corral made stays trusted."""
        from corral.services.relocate import relocate_paths
        from corral.services.trust import keeping_trust

        with keeping_trust(self.ctx.paths, env, was_at=Path(old)):
            return len(relocate_paths(env, old, str(env)))

    def upgrade(self, env: Path, base: Path) -> str:
        """Move `env` onto the base `base` in place."""
        from corral.services.upgrade import upgrade_in_place

        done = upgrade_in_place(self.ctx, env, self.ctx.finder.from_path(base))
        return f"upgraded {done.env} in place: Python {done.old_version} -> {done.new_version}, packages kept"

    def sync(self) -> str:
        """Sync the project's env with its lock."""
        from corral.services.sync.apply import sync

        done = sync(self.ctx)
        return f"synced: {len(done.installed)} installed, {len(done.removed)} removed, {len(done.changed)} changed"

    def lock(self) -> str:
        """Lock the project again."""
        from corral.services.lock import lock

        lock(self.ctx)
        return "re-locked"

    def resume_recreate(self, project_root: Path) -> str | None:
        """Finish or roll back an interrupted recreate."""
        from corral.services.recreate import recover

        return recover(project_root, self.ctx.paths)
