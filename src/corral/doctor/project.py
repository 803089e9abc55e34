"""Project-level health: stale lock, env not ignored or tracked by git, an unfinished recreate."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.health import Finding

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = ["check_project", "git_root"]

NOT_AVAILABLE = "not checked (lock/sync not available)"


def git_root(start: Path) -> Path | None:
    """The enclosing git work tree (found on disk, no git process)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str] | None:
    from corral.infra.git import git_command, git_environ

    argv = git_command(args)
    if argv is None:
        return None
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          env=git_environ(os.environ))


def _lock_findings(target: Target) -> list[Finding]:
    lock_path = target.lock_path
    assert target.project is not None  # noqa: S101 - caller checked
    assert lock_path is not None  # noqa: S101 - follows from a project
    if not lock_path.is_file():
        return [Finding(code="lock-missing", severity="info", fix="corral lock",
                        message=f"the project has no lock ({lock_path.name}); doctor cannot compare the env with it")]
    if target.sync_clean:
        return []  # the sync stamp proves lock and pyproject are unchanged since a sync from a fresh lock
    try:
        from corral.services.lock import is_fresh
    except ImportError:
        target.skipped.append(f"stale lock: {NOT_AVAILABLE}")
        return []
    if not is_fresh(target.project, lock_path, ctx=target.ctx):
        return [Finding(code="lock-stale", severity="warning", fix="corral lock",
                        message=f"{lock_path.name} is older than pyproject.toml's dependencies (edited since the "
                                "last lock)")]
    return []


def _git_findings(target: Target) -> list[Finding]:
    assert target.project is not None  # noqa: S101 - caller checked
    repo = git_root(target.project.root)
    if repo is None:
        return []
    env = target.root
    try:
        rel = env.relative_to(repo)
    except ValueError:
        return []  # the env lives outside the repository
    findings: list[Finding] = []
    tracked = _git(["ls-files", "-z", "--", str(rel)], repo)
    if tracked is None:
        target.skipped.append("git checks: git is not installed")
        return []
    files = [f for f in tracked.stdout.split("\0") if f]
    if files:
        findings.append(Finding(
            code="env-tracked", severity="error", fix=f"git rm -r --cached --quiet {rel}",
            message=f"{len(files)} file(s) of the env are tracked in git (e.g. {files[0]}); an env is machine-specific",
            details={"count": len(files)}))
    probe = rel / "pyvenv.cfg"
    ignored = _git(["check-ignore", "-q", "--no-index", "--", str(probe)], repo)
    if ignored is not None and ignored.returncode == 1:
        findings.append(Finding(
            code="env-not-ignored", severity="warning", fix=f"echo '/{rel.as_posix()}/' >> {repo / '.gitignore'}",
            message=f"git does not ignore the env {rel}/: `git add .` would commit it"))
    return findings


def check_project(target: Target) -> list[Finding]:
    """Checks that need the project: lock freshness and git hygiene (only for the project's own env)."""
    if not target.is_project_env:
        return []
    findings: list[Finding] = []
    from corral.infra.journals import pending

    if "recreate" in pending(target.ctx.paths, target.project.root):  # type: ignore[union-attr]
        findings.append(Finding(code="recreate-unfinished", severity="warning", fix="corral recreate --resume",
                                message="a `corral recreate` was interrupted (corral's journal of it remains); the "
                                        "env works, the leftover folder should be cleaned up"))
    findings += _lock_findings(target)
    findings += _git_findings(target)
    return findings
