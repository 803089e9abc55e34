"""`corral doctor`: run every check on an env and collect all findings; `--fix` applies their fixes."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.health import Finding, Report
from corral.errors import CorralError, EnvError

if TYPE_CHECKING:
    from corral.doctor.target import Target
    from corral.services.context import Context

__all__ = ["FixOutcome", "apply_fixes", "diagnose", "make_target", "run_checks"]

_REBUILD = {"env-moved", "activate-stale", "scripts-foreign", "python-missing", "base-missing",
            "python-not-runnable", "python-not-run", "base-minor-upgrade", "python-mismatch", "system-site-packages",
            "pyvenv-cfg-damaged"}
_COVERED_BY_REBUILD = _REBUILD | {"drift-missing", "drift-extra", "drift-version", "pip-outdated", "pip-missing",
                                  "not-made-by-corral", "base-patch-upgrade"}


_ORDER = ("base-patch-upgrade", "lock-missing", "lock-stale", "drift-missing", "drift-extra", "drift-version",
          "pip-missing", "pip-outdated", "not-made-by-corral", "env-tracked", "env-not-ignored")


@dataclass(frozen=True, slots=True)
class FixOutcome:
    """One fix: what it was for, whether it ran, and what happened."""

    codes: tuple[str, ...]
    done: bool
    text: str


def make_target(ctx: Context, path: Path | None) -> Target:
    """The env to examine: PATH, else the project's env."""
    from corral.discovery.prober import CachedProber
    from corral.doctor.target import Target
    from corral.services.inspection import is_environment

    if path is not None:
        root = (ctx.cwd / path).absolute()
        project = ctx.project
    else:
        project = ctx.require_project()
        root = project.env_path
    if not is_environment(root):
        _refuse_base_interpreter(ctx, root)
        hint = "create it with `corral sync`" if path is None else "pass the folder of an env (it holds pyvenv.cfg)"
        msg = f"{root} is not a Python environment (no pyvenv.cfg); {hint}"
        from corral.services.kernels import missing_env_note

        note = missing_env_note(ctx, root)
        raise EnvError(f"{msg}; {note}" if note else msg)
    return Target(root, ctx=ctx, project=project, prober=CachedProber(ctx.paths.interpreter_cache))


def _refuse_base_interpreter(ctx: Context, root: Path) -> None:
    """An externally managed base Python named as the target: corral never installs into it (PEP 668)."""
    from corral.discovery.finder import InterpreterFinder
    from corral.errors import InterpreterNotFound

    if not root.exists():
        return
    try:
        info = ctx.finder.from_path(root) if isinstance(ctx.finder, InterpreterFinder) else None
    except InterpreterNotFound:
        return
    if info is not None and info.externally_managed and not info.is_venv:
        msg = (f"{root} is an externally managed Python {info.version} (PEP 668): corral never installs into it; "
               f"make an env from it instead: corral venv --python {info.path}")
        raise EnvError(msg)


def run_checks(target: Target) -> Report:
    """Every check family, all run; a check that crashes becomes a finding rather than stopping the others."""
    from corral.doctor import CHECK_FAMILIES

    findings: list[Finding] = []
    for family, ref in CHECK_FAMILIES.items():
        module_name, _, func = ref.partition(":")
        try:
            findings += getattr(importlib.import_module(module_name), func)(target)
        except CorralError as err:
            findings.append(Finding(code=f"{family}-unchecked", severity="warning", message=str(err)))
    target.prober.save()
    return Report(env=str(target.root), findings=tuple(findings), skipped=tuple(target.skipped))


def diagnose(ctx: Context, path: Path | None = None) -> tuple[Report, Target]:
    """Check the project's env (or the env at `path`)."""
    target = make_target(ctx, path)
    return run_checks(target), target


def apply_fixes(ctx: Context, report: Report, target: Target, *, confirm: Callable[[str], bool]) -> list[FixOutcome]:
    """Apply each finding's fix (rebuild first: it covers most others), asking `confirm(question)` before each."""
    outcomes: list[FixOutcome] = []
    codes = {f.code: f for f in report.findings}
    if "recreate-unfinished" in codes and target.project is not None:
        from corral.services.recreate import recover

        outcomes.append(FixOutcome(("recreate-unfinished",), True,
                                   recover(target.project.root, ctx.paths) or "nothing pending"))
    rebuild = [c for c in codes if c in _REBUILD]
    if rebuild:
        outcomes.append(_rebuild(ctx, target, codes, tuple(rebuild), confirm))
        if outcomes[-1].done:
            return outcomes
    for code, finding in sorted(codes.items(), key=lambda kv: _ORDER.index(kv[0]) if kv[0] in _ORDER else 99):
        if code in _REBUILD or code == "recreate-unfinished" or (rebuild and code in _COVERED_BY_REBUILD):
            continue
        action = _ACTIONS.get(code)
        if action is None or not finding.fix:
            continue
        if code.startswith("drift-") and any(o.codes[0].startswith("drift-") for o in outcomes):
            continue
        if not confirm(f"{finding.message}\n  fix: {finding.fix}\n  apply it?"):
            outcomes.append(FixOutcome((code,), False, "skipped"))
            continue
        try:
            outcomes.append(FixOutcome((code,), True, action(ctx, target, finding)))
        except CorralError as err:
            outcomes.append(FixOutcome((code,), False, f"failed: {err}"))
    return outcomes


def _rebuild(ctx: Context, target: Target, codes: dict[str, Finding], which: tuple[str, ...],
             confirm: Callable[[str], bool]) -> FixOutcome:
    base = next((f.details.get("base") for f in codes.values() if f.code == "base-minor-upgrade"), None)
    if "python-mismatch" in codes:
        base = None  # the project asks for another Python: the rebuild takes that one
    if not target.is_project_env:
        relocation = [c for c in which if c in {"env-moved", "activate-stale", "scripts-foreign"}]
        if relocation and len(relocation) == len(which):
            if not confirm(f"rewrite the old paths inside {target.root} so it works where it is now?"):
                return FixOutcome(which, False, "skipped")
            return FixOutcome(which, True, _relocate_in_place(ctx, target, codes.get("env-moved")))
        return FixOutcome(which, False, "this env has no project lock to rebuild from; recreate it with the tool "
                                        "that made it")
    question = f"rebuild {target.root} from the lock ({', '.join(which)})" + (f" with {base}" if base else "") + "?"
    if not confirm(question):
        return FixOutcome(which, False, "skipped")
    from corral.services.recreate import recreate

    try:
        done = recreate(ctx, python=str(base) if base else None)
    except CorralError as err:
        return FixOutcome(which, False, f"rebuild failed, the old env was kept: {err}")
    return FixOutcome(which, True, f"rebuilt {done.env} with Python {done.python} ({done.packages} packages from "
                                   f"the {done.source})")


def _relocate_in_place(ctx: Context, target: Target, moved: Finding | None) -> str:
    from corral.doctor.relocation import activate_location
    from corral.services.relocate import relocate_paths

    old = (moved.details.get("recorded") if moved else None) or activate_location(target.bin_dir)
    if not old:
        msg = f"cannot tell where {target.root} was before it moved"
        raise EnvError(msg)
    from corral.services.trust import keeping_trust

    with keeping_trust(ctx.paths, target.root, was_at=Path(str(old))):  # a moved env corral made stays trusted
        changed = relocate_paths(target.root, str(old), str(target.root))
    return f"rewrote {len(changed)} file(s) from {old} to {target.root}"


def _fix_patch(ctx: Context, target: Target, finding: Finding) -> str:
    from corral.services.upgrade import upgrade_in_place

    new = ctx.finder.from_path(Path(str(finding.details["base"])))
    done = upgrade_in_place(ctx, target.root, new)
    return f"upgraded {done.env} in place: Python {done.old_version} -> {done.new_version}, packages kept"


def _fix_drift(ctx: Context, target: Target, finding: Finding) -> str:  # noqa: ARG001
    try:
        from corral.services.sync.apply import sync
    except ImportError as err:
        msg = "sync is not available in this corral build"
        raise EnvError(msg) from err
    done = sync(ctx)
    return f"synced: {len(done.installed)} installed, {len(done.removed)} removed, {len(done.changed)} changed"


def _fix_lock(ctx: Context, target: Target, finding: Finding) -> str:  # noqa: ARG001
    try:
        from corral.services.lock import lock
    except ImportError as err:
        msg = "lock is not available in this corral build"
        raise EnvError(msg) from err
    lock(ctx)
    return "re-locked"


def _fix_pip(ctx: Context, target: Target, finding: Finding) -> str:
    from corral.infra.environ import engine_environ
    from corral.infra.proc import run

    args = ["-m", "ensurepip", "--upgrade"] if finding.code == "pip-missing" else ["-m", "pip", "install", "-U", "pip"]
    run([str(target.python), *args], env=engine_environ(ctx.environ), what="pip upgrade")
    return f"ran {target.python} {' '.join(args)}"


def _fix_record(ctx: Context, target: Target, finding: Finding) -> str:  # noqa: ARG001
    import datetime as dt
    import json

    from corral import __version__
    from corral.core.provenance import PROVENANCE_FILE, Provenance
    from corral.infra.fs import atomic_write_text

    ident = target.base_identity or {}
    record = Provenance(
        corral_version=__version__, creator=f"adopted ({target.cfg.creator})", location=str(target.root),
        interpreter=str(target.base_executable or ""), interpreter_realpath=str(target.base_executable or ""),
        python_version=str(ident.get("version", target.cfg.version or "")),
        implementation=str(ident.get("implementation", "")),
        project=str(target.project.root) if target.is_project_env and target.project else None,
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        options={"system_site_packages": target.cfg.system_site_packages, "adopted": True},
    )
    atomic_write_text(target.root / PROVENANCE_FILE, json.dumps(record.to_dict(), indent=2) + "\n")
    return f"wrote {PROVENANCE_FILE} (corral now tracks this env)"


def _fix_gitignore(ctx: Context, target: Target, finding: Finding) -> str:  # noqa: ARG001
    from corral.doctor.project import git_root
    from corral.infra.fs import atomic_write_text

    assert target.project is not None  # noqa: S101 - only project envs get this finding
    repo = git_root(target.project.root) or target.project.root
    ignore = repo / ".gitignore"
    from corral.infra.safe_read import read_small

    text = read_small(ignore, limit=16 << 20, what=".gitignore").decode("utf-8") if ignore.is_file() else ""
    line = f"/{target.root.relative_to(repo).as_posix()}/"
    atomic_write_text(ignore, text + ("" if not text or text.endswith("\n") else "\n") + line + "\n", root=repo)
    return f"added {line} to {ignore}"


def _fix_untrack(ctx: Context, target: Target, finding: Finding) -> str:  # noqa: ARG001
    from corral.doctor.project import git_root
    from corral.infra.proc import run

    assert target.project is not None  # noqa: S101 - only project envs get this finding
    repo = git_root(target.project.root) or target.project.root
    rel = target.root.relative_to(repo)
    from corral.infra.git import git_command, git_environ

    argv = git_command(["rm", "-r", "--cached", "--quiet", "--", str(rel)]) or ["git", "rm", "-r", "--cached"]
    run(argv, cwd=repo, env=git_environ(os.environ), what="git rm")
    return f"untracked {rel} (files kept on disk; commit the change)"


_ACTIONS: dict[str, Callable[[Context, Target, Finding], str]] = {
    "base-patch-upgrade": _fix_patch,
    "drift-missing": _fix_drift,
    "drift-extra": _fix_drift,
    "drift-version": _fix_drift,
    "lock-stale": _fix_lock,
    "lock-missing": _fix_lock,
    "pip-outdated": _fix_pip,
    "pip-missing": _fix_pip,
    "not-made-by-corral": _fix_record,
    "env-not-ignored": _fix_gitignore,
    "env-tracked": _fix_untrack,
}
