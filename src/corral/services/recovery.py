"""Finish or undo whatever a killed corral command left in a project, before any other command touches it.

Three journals can be left behind, all in corral's state folder (`infra.journals`), never in the project: the
pyproject/lock transaction (`services.transaction`), an env rebuild (`services.recreate`) and the project's env
in the making (`services.create`). `recover_project` runs every recovery; the caller holds the project lock
(`transaction.project_lock` does this itself). `ensure_recovered` is what read-mostly paths (sync, run) call:
a few `stat`s when nothing is pending, the lock and the recoveries only when something is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths

__all__ = ["ensure_recovered", "pending", "recover_project"]


def pending(project_root: Path, paths: CorralPaths | None = None) -> bool:
    """True when a journal of unfinished work or a killed writer's temporary file is left (a few `lstat`s)."""
    from corral.infra.journals import partial_writes
    from corral.infra.journals import pending as pending_journals

    return bool(pending_journals(_paths(paths), project_root)) or bool(partial_writes(project_root))


def _paths(paths: CorralPaths | None) -> CorralPaths:
    if paths is not None:
        return paths
    from corral.infra.paths import CorralPaths

    return CorralPaths.from_environment()


def recover_project(project_root: Path, paths: CorralPaths | None = None) -> list[str]:
    """Run every recovery for the project (the caller holds its lock); returns what was done.

    Each recovery reads only its own journal and does nothing without one, so only those of the journals left
    are imported (a sync that holds the lock without any pays a few `lstat`s, not the modules that undo work).
    """
    from corral.infra.journals import pending as pending_journals

    paths = _paths(paths)
    left = pending_journals(paths, project_root)
    done: list[str | None] = []
    if "txn" in left:
        from corral.services import transaction

        done.append(transaction.recover(project_root, paths=paths))
    if "recreate" in left:
        from corral.services import recreate

        done.append(recreate.recover(project_root, paths))
    if "creating" in left:
        from corral.services.create import finish_interrupted_creation

        done.append(finish_interrupted_creation(paths, project_root))
    done.append(_remove_partial_writes(project_root))
    return [outcome for outcome in done if outcome]


def _remove_partial_writes(project_root: Path) -> str | None:
    """Temporary files a killed writer left in the project (the target is intact; unlink never follows a link)."""
    import contextlib

    from corral.infra.journals import partial_writes

    removed = []
    for leftover in partial_writes(project_root):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover.name)
    return f"removed unfinished writes: {', '.join(sorted(removed))}" if removed else None


def ensure_recovered(project_root: Path) -> list[str]:
    """Recover the project under its lock when something is pending; a no-op (no lock taken) otherwise."""
    if not pending(project_root):
        return []
    from corral.services.transaction import project_lock

    with project_lock(project_root) as outcomes:
        return list(outcomes)
