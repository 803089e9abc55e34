"""Project-level health: stale lock, env not ignored or tracked by git, an unfinished recreate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = [
    "ENV_NOT_IGNORED",
    "ENV_TRACKED",
    "FIXES",
    "LOCK_MISSING",
    "LOCK_STALE",
    "LOCK_UNREADABLE",
    "RECREATE_UNFINISHED",
    "check_project",
    "git_root",
    "ignores_everything",
    "tracked_files",
]

RECREATE_UNFINISHED: Final = "recreate-unfinished"
LOCK_MISSING: Final = "lock-missing"
LOCK_UNREADABLE: Final = "lock-unreadable"
LOCK_STALE: Final = "lock-stale"
ENV_TRACKED: Final = "env-tracked"
ENV_NOT_IGNORED: Final = "env-not-ignored"
_NO_GIT: Final = "git checks: git is not installed, or could not read this repository"


def git_root(start: Path) -> Path | None:
    """The enclosing git work tree (found on disk, no git process)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


# How git reads a pathspec (a glob, case-insensitive): the env's folder is a literal path (`--literal-pathspecs`,
# which git refuses beside any of these)
_PATHSPEC_VARIABLES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


def _git(args: list[str], cwd: Path) -> tuple[int, str] | None:
    """(exit status, output) of `git ARGS` in `cwd` (`infra.git`'s settings; a 10 s bound); None: git cannot say."""
    from corral.infra.git import git_command, git_environ, spawn_output

    argv = git_command(args, cwd=cwd)
    if argv is None:
        return None
    environ = {k: v for k, v in git_environ(os.environ).items() if k not in _PATHSPEC_VARIABLES}
    if os.name == "nt" or not hasattr(os, "posix_spawn"):
        import subprocess

        done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=environ)
        return done.returncode, done.stdout.decode("utf-8", "surrogateescape")
    ran = spawn_output(argv[0], [*argv[:1], "-C", str(cwd), *argv[1:]], environ, limit=64 << 20)
    return None if ran is None else (ran[0], ran[1].decode("utf-8", "surrogateescape"))


def tracked_files(repo: Path, rel: Path) -> list[str] | None:
    """The paths git tracks at or under `rel` (relative to the work tree `repo`); None: git cannot say.

    Read from the index file when `infra.git_index.tracked_under` reads it in full (no process: ~50 ms less), else
    `git --literal-pathspecs ls-files`, the same question; a git that fails lists nothing.
    """
    from corral.infra.git_index import tracked_under

    files = tracked_under(str(repo), rel.as_posix())
    if files is not None:
        return files
    listed = _git(["--literal-pathspecs", "ls-files", "-z", "--", str(rel)], repo)
    return None if listed is None else [name for name in listed[1].split("\0") if name]


_IGNORE_ALL_LIMIT = 4096


def ignores_everything(env: Path) -> bool:
    """The env's own `.gitignore` ignores every file directly in it, whatever git's other ignore sources say.

    Git asks the `.gitignore` of the folder holding a path first (the deepest wins, then the parent folders',
    `.git/info/exclude`, `core.excludesFile`), and the first file with a matching pattern decides by its last match.
    A regular file (git does not follow a linked `.gitignore`) of only blank lines, `#` comments and `*` lines
    matches every name with `*`: nothing elsewhere can un-ignore pyvenv.cfg then (`check-ignore --no-index` reads no
    index, so no skip-worktree copy of it counts). Anything else (a negation, another pattern, a CR, a BOM): False.
    """
    from corral.infra.safe_read import read_small

    try:  # a link, a fifo, a device or a larger file: UnreadableFile, an OSError
        data = read_small(env / ".gitignore", limit=_IGNORE_ALL_LIMIT, what=".gitignore", follow=False)
    except OSError:
        return False
    lines = data.split(b"\n")
    return b"*" in lines and all(line in (b"", b"*") or line.startswith(b"#") for line in lines)


def _lock_findings(target: Target) -> list[Finding]:
    lock_path = target.lock_path
    assert target.project is not None  # noqa: S101 - caller checked
    assert lock_path is not None  # noqa: S101 - follows from a project
    if not lock_path.is_file() and os.path.lexists(lock_path):
        return [
            Finding(
                code=LOCK_UNREADABLE,
                severity="error",
                message=(
                    f"{lock_path} is not a regular file (a fifo, a folder, a device or a link to one); corral never "
                    "reads it: remove it and run `corral lock`"
                ),
            )
        ]
    if not lock_path.is_file():
        return [
            Finding(
                code=LOCK_MISSING,
                severity="info",
                fix="corral lock",
                message=f"the project has no lock ({lock_path.name}); doctor cannot compare the env with it",
            )
        ]
    if target.sync_clean:
        return []  # the sync stamp proves lock and pyproject are unchanged since a sync from a fresh lock
    if not target.host.lock_is_fresh(lock_path):
        return [
            Finding(
                code=LOCK_STALE,
                severity="warning",
                fix="corral lock",
                message=target.host.lock_stale_reason(lock_path),
            )
        ]
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
    files = tracked_files(repo, rel)
    if files is None:
        target.skipped.append(_NO_GIT)
        return []
    if files:
        findings.append(
            Finding(
                code=ENV_TRACKED,
                severity="error",
                fix=f"git rm -r --cached --quiet {rel}",
                message=(
                    f"{len(files)} file(s) of the env are tracked in git (e.g. {files[0]}); an env is machine-specific"
                ),
                details={"count": len(files)},
            )
        )
    if ignores_everything(env):
        return findings  # git would say "ignored": no second git process (~5-10 ms)
    probe = rel / "pyvenv.cfg"
    ignored = _git(["check-ignore", "-q", "--no-index", "--", str(probe)], repo)
    if ignored is None:
        target.skipped.append(_NO_GIT)
    elif ignored[0] == 1:
        findings.append(
            Finding(
                code=ENV_NOT_IGNORED,
                severity="warning",
                fix=f"echo '/{rel.as_posix()}/' >> {repo / '.gitignore'}",
                message=f"git does not ignore the env {rel}/: `git add .` would commit it",
            )
        )
    return findings


def check_project(target: Target) -> list[Finding]:
    """Checks that need the project: lock freshness and git hygiene (only for the project's own env)."""
    if not target.is_project_env:
        return []
    findings: list[Finding] = []
    from corral.infra.journals import pending

    if "recreate" in pending(target.host.paths, target.project.root):  # type: ignore[union-attr]
        findings.append(
            Finding(
                code=RECREATE_UNFINISHED,
                severity="warning",
                fix="corral recreate --resume",
                message="a `corral recreate` was interrupted (corral's journal of it remains); the "
                "env works, the leftover folder should be cleaned up",
            )
        )
    findings += _lock_findings(target)
    findings += _git_findings(target)
    return findings


def _fix_resume(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - the journal says what
    """Finish the interrupted recreate from corral's journal of it."""
    assert target.project is not None  # noqa: S101 - only project envs get this finding
    return repairs.resume_recreate(target.project.root) or "nothing pending"


def _fix_lock(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - one lock fixes both
    """Lock the project again."""
    return repairs.lock()


def _repository(target: Target) -> Path:
    assert target.project is not None  # noqa: S101 - only project envs get git findings
    return git_root(target.project.root) or target.project.root


def _fix_gitignore(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - a file edit
    """Add the env's folder to the repository's .gitignore."""
    from corral.infra.fs import atomic_write_text
    from corral.infra.safe_read import read_small

    repo = _repository(target)
    ignore = repo / ".gitignore"
    text = read_small(ignore, limit=16 << 20, what=".gitignore").decode("utf-8") if ignore.is_file() else ""
    line = f"/{target.root.relative_to(repo).as_posix()}/"
    atomic_write_text(ignore, text + ("" if not text or text.endswith("\n") else "\n") + line + "\n", root=repo)
    return f"added {line} to {ignore}"


def _fix_untrack(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - one git command
    """Untrack the env's files in git (they stay on disk)."""
    from corral.infra.git import git_command, git_environ
    from corral.infra.proc import run

    repo = _repository(target)
    rel = target.root.relative_to(repo)
    argv = git_command(["rm", "-r", "--cached", "--quiet", "--", str(rel)], cwd=repo)
    if argv is None:  # no git, or a filter driver `-c` cannot switch off: never plain git on this repository
        return f"not untracked: run `git rm -r --cached -- {rel}` in {repo} yourself"
    run(argv, cwd=repo, env=git_environ(os.environ), what="git rm")
    return f"untracked {rel} (files kept on disk; commit the change)"


FIXES: Final[dict[str, Fix]] = {
    RECREATE_UNFINISHED: Fix(apply=_fix_resume, ask=False),
    LOCK_MISSING: Fix(apply=_fix_lock),
    LOCK_STALE: Fix(apply=_fix_lock),
    ENV_TRACKED: Fix(apply=_fix_untrack),
    ENV_NOT_IGNORED: Fix(apply=_fix_gitignore),
}
