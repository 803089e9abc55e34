"""`corral doctor`: run every check on an env and collect all findings; `--fix` applies their fixes.

The checks, their finding codes and their fixes live in `corral.doctor`, one module per family
(`corral.doctor.interface` is the contract). This module orders the families (`CHECKS`) and the fixes
(`_fix_order`) and applies the fixes: one rebuild first (it covers most others), then the rest in order. What
only a service can answer or repair reaches the checks through `services.doctor_host`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.frozen import Frozen
from corral.core.health import Finding, Report
from corral.errors import CorralError, EnvError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.doctor.interface import Fix, FixAction, Repairs
    from corral.doctor.target import Target
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["CHECKS", "FixOutcome", "apply_fixes", "diagnose", "fix_table", "make_target", "run_checks", "target_for"]

# family -> "module:function", in report order; each module also exports FIXES for its own codes.
CHECKS: Final[dict[str, str]] = {
    "pyvenv": "corral.doctor.pyvenv:check_pyvenv_cfg",
    "interpreter": "corral.doctor.interpreter:check_interpreter",
    "relocation": "corral.doctor.relocation:check_relocation",
    "drift": "corral.doctor.drift:check_drift",
    "files": "corral.doctor.files:check_files",
    "project": "corral.doctor.project:check_project",
    "pip": "corral.doctor.pip:check_pip",
    "isolation": "corral.doctor.isolation:check_isolation",
    "provenance": "corral.doctor.provenance:check_provenance",
    "kernels": "corral.doctor.kernels:check_kernels",
    "legacy": "corral.doctor.legacy:check_legacy",
}


def _fix_order() -> tuple[str, ...]:
    """The order fixes are offered in after a rebuild (or without one): cheap and foundational first."""
    from corral.doctor import drift, interpreter, pip, project, provenance

    return (
        interpreter.BASE_PATCH_UPGRADE,
        project.LOCK_MISSING,
        project.LOCK_STALE,
        drift.DRIFT_MISSING,
        drift.DRIFT_EXTRA,
        drift.DRIFT_VERSION,
        pip.PIP_MISSING,
        pip.PIP_OUTDATED,
        provenance.NOT_MADE_BY_CORRAL,
        project.ENV_TRACKED,
        project.ENV_NOT_IGNORED,
    )


class FixOutcome(Frozen):
    """One fix: what it was for, whether it ran, and what happened."""

    __slots__ = ("codes", "done", "text")
    codes: tuple[str, ...]
    done: bool
    text: str

    def __init__(self, codes: tuple[str, ...], done: bool, text: str) -> None:
        self._set(codes=codes, done=done, text=text)


def target_for(ctx: Context, root: Path, project: Project | None) -> Target:
    """The env at `root` as the checks see it, `project` being the project around it."""
    from corral.discovery.prober import CachedProber
    from corral.doctor.target import Target
    from corral.services.doctor_host import ContextHost

    return Target(root, host=ContextHost(ctx, project), prober=CachedProber(ctx.paths.interpreter_cache))


def make_target(ctx: Context, path: Path | None) -> Target:
    """The env to examine: PATH, else the project's env."""
    from corral.services.inspection import is_environment

    if path is not None:
        root = (ctx.cwd / path).absolute()
        project = ctx.project
    else:
        project = ctx.require_project()
        root = project.env_path
    if not is_environment(root):
        _refuse_base_interpreter(ctx, root)
        from corral.services.inspection import partly_deleted_env

        msg = partly_deleted_env(root) or _not_an_env(root, project=path is None)
        from corral.services.kernels import missing_env_note

        note = missing_env_note(ctx, root)
        raise EnvError(f"{msg}; {note}" if note else msg)
    return target_for(ctx, root, project)


def _not_an_env(root: Path, *, project: bool) -> str:
    """Why there is nothing to check at `root` (the project's env when `project`), and what to do."""
    import os

    if not os.path.lexists(root):
        if project:
            return f"the project has no environment yet ({root} does not exist); `corral sync` creates it"
        return f"{root} does not exist; pass the folder of an env (it holds pyvenv.cfg)"
    hint = "create it with `corral sync`" if project else "pass the folder of an env (it holds pyvenv.cfg)"
    return f"{root} is not a Python environment (no pyvenv.cfg); {hint}"


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
        msg = (
            f"{root} is an externally managed Python {info.version} (PEP 668): corral never installs into it; "
            f"make an env from it instead: corral venv --python {info.path}"
        )
        raise EnvError(msg)


def run_checks(target: Target) -> Report:
    """Every check family, all run; a check that crashes becomes a finding rather than stopping the others."""
    findings: list[Finding] = []
    for family, ref in CHECKS.items():
        module_name, _, func = ref.partition(":")
        try:
            findings += getattr(importlib.import_module(module_name), func)(target)
        except CorralError as err:
            findings.append(Finding(code=f"{family}-unchecked", severity="warning", message=str(err)))
    target.prober.save()
    report = Report(env=str(target.root), findings=tuple(findings), skipped=tuple(target.skipped))
    if not report.skipped and not any(
        code.startswith(_COMPARED) or code.endswith("-unchecked") for code in report.codes()
    ):
        _remember_healthy(target)
    return report


_COMPARED: Final = ("drift-", "lock-")  # the codes of the comparisons with the lock (a failed check: `*-unchecked`)


def _remember_healthy(target: Target) -> None:
    """Keep what proves a project env matched its fresh lock, the stamp holding in all but git's index.

    `services.doctor_record` keeps it; the host records only when both comparisons ran (and found nothing).
    """
    from corral.services.doctor_host import ContextHost

    lock, key = target.lock_path, target.stamp_selection if target.is_project_env else None
    if isinstance(target.host, ContextHost) and lock is not None and key is not None:
        target.host.remember_healthy(target.root, lock, key)


def diagnose(ctx: Context, path: Path | None = None) -> tuple[Report, Target]:
    """Check the project's env (or the env at `path`)."""
    target = make_target(ctx, path)
    return run_checks(target), target


def fix_table() -> dict[str, Fix]:
    """Every check family's fixes, by finding code."""
    table: dict[str, Fix] = {}
    for ref in CHECKS.values():
        table.update(importlib.import_module(ref.partition(":")[0]).FIXES)
    return table


def apply_fixes(
    ctx: Context, report: Report, target: Target, *, confirm: Callable[[str], bool], repairs: Repairs | None = None
) -> list[FixOutcome]:
    """Apply each finding's fix (rebuild first: it covers most others), asking `confirm(question)` before each.

    `repairs`: what performs the repairs only a service can (default: `ContextRepairs(ctx)`).
    """
    from corral.services.doctor_host import ContextRepairs

    table = fix_table()
    repairs = repairs or ContextRepairs(ctx)
    outcomes: list[FixOutcome] = []
    codes = {f.code: f for f in report.findings}
    for code, finding in codes.items():  # corral's own unfinished work: cleaned up without asking
        fix = table.get(code)
        if fix is not None and fix.apply is not None and not fix.ask:
            outcomes.append(FixOutcome((code,), True, fix.apply(target, finding, repairs)))
    rebuild = tuple(c for c in codes if c in table and table[c].rebuild)
    if rebuild:
        outcomes.append(_rebuild(target, codes, rebuild, table, repairs, confirm))
        if outcomes[-1].done:
            return outcomes
    order = _fix_order()
    offered: list[FixAction] = []  # one fix serves all its codes (one sync for every drift)
    for code, finding in sorted(codes.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
        fix = table.get(code)
        if (
            fix is None
            or fix.apply is None
            or not fix.ask
            or fix.rebuild
            or (rebuild and fix.covered_by_rebuild)
            or not finding.fix
            or fix.apply in offered
        ):
            continue
        offered.append(fix.apply)
        if not confirm(f"{finding.message}\n  fix: {finding.fix}\n  apply it?"):
            outcomes.append(FixOutcome((code,), False, "skipped"))
            continue
        try:
            outcomes.append(FixOutcome((code,), True, fix.apply(target, finding, repairs)))
        except CorralError as err:
            outcomes.append(FixOutcome((code,), False, f"failed: {err}"))
    return outcomes


def _rebuild(
    target: Target,
    codes: Mapping[str, Finding],
    which: tuple[str, ...],
    table: Mapping[str, Fix],
    repairs: Repairs,
    confirm: Callable[[str], bool],
) -> FixOutcome:
    from corral.doctor.interpreter import rebuild_python

    base = rebuild_python(codes)
    if not target.is_project_env:
        in_place = {table[c].in_place for c in which}
        only = in_place.pop() if len(in_place) == 1 else None
        if only is not None:
            if not confirm(only.question(target)):
                return FixOutcome(which, False, "skipped")
            return FixOutcome(which, True, only.apply(target, codes, repairs))
        return FixOutcome(
            which, False, "this env has no project lock to rebuild from; recreate it with the tool that made it"
        )
    question = f"rebuild {target.root} from the lock ({', '.join(which)})" + (f" with {base}" if base else "") + "?"
    if not confirm(question):
        return FixOutcome(which, False, "skipped")
    try:
        return FixOutcome(which, True, repairs.rebuild(base))
    except CorralError as err:
        return FixOutcome(which, False, f"rebuild failed, the old env was kept: {err}")
