"""Finish or undo whatever a killed corral command left in a project, before any other command touches it.

Two journals can be left behind: the pyproject/lock transaction (`services.transaction`) and an env rebuild
(`services.recreate`). `recover_project` runs both recoveries; the caller holds the project lock
(`transaction.project_lock` does this itself). `ensure_recovered` is what read-mostly paths (sync, run) call:
a few `stat`s when nothing is pending, the lock and the recoveries only when something is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ensure_recovered", "pending", "recover_project"]

def pending(project_root: Path) -> bool:
    """True when a journal or a transaction leftover sits in `project_root` (one stdlib listing of the folder)."""
    from corral.services.sync_stamp import interrupted  # noqa: PLC0415 - the stdlib-only definition, shared

    return interrupted(project_root)


def recover_project(project_root: Path) -> list[str]:
    """Run every recovery for the project (the caller holds its lock); returns what was done."""
    from corral.services import recreate, transaction  # noqa: PLC0415

    done = [transaction.recover(project_root), recreate.recover(project_root), _remove_partial_writes(project_root),
            *_finish_creations(project_root)]
    return [outcome for outcome in done if outcome]


def _finish_creations(project_root: Path) -> list[str | None]:
    """Envs a killed command was creating in the project (or beside its env, when venv-dir points elsewhere)."""
    from corral.services.create import CREATING_SUFFIX, finish_interrupted_creation  # noqa: PLC0415
    from corral.services.sync_stamp import locate  # noqa: PLC0415

    folders = {project_root}
    found = locate(project_root)
    if found is not None:
        folders.add(found[1].parent)
    return [finish_interrupted_creation(m) for folder in folders for m in folder.glob(f".*{CREATING_SUFFIX}")]


def _remove_partial_writes(project_root: Path) -> str | None:
    """Temporary files of atomic writes a killed process left (`.NAME.corral-XXXX.tmp`; the target is intact)."""
    import contextlib  # noqa: PLC0415

    from corral.infra.fs import TMP_MARK  # noqa: PLC0415

    removed = []
    for leftover in project_root.glob(f".*.{TMP_MARK}*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover.name)
    return f"removed unfinished writes: {', '.join(sorted(removed))}" if removed else None


def ensure_recovered(project_root: Path) -> list[str]:
    """Recover the project under its lock when something is pending; a no-op (no lock taken) otherwise."""
    if not pending(project_root):
        return []
    from corral.services.transaction import project_lock  # noqa: PLC0415

    with project_lock(project_root) as outcomes:
        return list(outcomes)
