"""Drift: installed distributions that differ from the lock entries selected for the env's interpreter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from corral.core.selection import Selection
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = ["DRIFT_EXTRA", "DRIFT_MISSING", "DRIFT_VERSION", "FIXES", "check_drift", "lock_drift", "selection_from_key"]

DRIFT_MISSING: Final = "drift-missing"
DRIFT_EXTRA: Final = "drift-extra"
DRIFT_VERSION: Final = "drift-version"

Drift = tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str, str]]]


def lock_drift(target: Target, lock_path: Path | None = None) -> Drift | None:
    """(missing [(name, locked)], extra [(name, installed)], other [(name, installed, locked)]); None if unknown.

    `lock_path`: another lock than the project's (adopt's dry run compares with a lock it did not write).
    """
    lock_path = lock_path or target.lock_path
    ident = target.base_identity
    if lock_path is None or not lock_path.is_file() or ident is None:
        return None
    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan
    from corral.errors import CorralError

    info = InterpreterInfo.from_probe(ident, path=str(target.python))
    try:  # the sync's own choice (its cache: no TOML parse, no `packaging` when a sync or a lock made it before)
        desired = target.host.locked_packages(lock_path, info, _selection(target), target.stamp_selection)
    except CorralError as err:
        target.skipped.append(f"drift: not checked ({err})")
        return None
    keep = set(target.host.seed_packages(target.root, windows=target.env.windows))
    if target.project is not None:
        keep.add(target.project.name)
    plan = SyncPlan.diff(desired, target.distributions, keep=keep)
    missing = [(c.name, c.version or "?") for c in plan.install]
    extra = [(name, version) for name, version in plan.remove]
    other = [
        (name, installed, c.version or "?") for name, installed, c in plan.change if c.kind not in {"directory", "vcs"}
    ]
    return missing, extra, other


def selection_from_key(key: str | None, selection_type: type) -> object:
    """Rebuild a Selection from the sync stamp's key ("g=a,b;e=x;f=Gn"); the lock's defaults when absent."""
    if not key:
        return selection_type()
    parts = dict(p.partition("=")[::2] for p in key.split(";"))
    groups_text, extras_text, flags = parts.get("g", "*default*"), parts.get("e", ""), parts.get("f", "")
    groups = None if groups_text == "*default*" else tuple(g for g in groups_text.split(",") if g)
    return selection_type(
        groups=groups,
        extras=tuple(e for e in extras_text.split(",") if e),
        all_groups="G" in flags,
        no_dev="n" in flags,
        all_extras="E" in flags,
        only_groups="o" in flags,
    )


def _selection(target: Target) -> Selection:
    """The selection the env was last synced with (the sync side's stamp), else the lock's defaults."""
    from corral.core.selection import Selection

    chosen = selection_from_key(target.stamp_selection, Selection)
    assert isinstance(chosen, Selection)  # noqa: S101 - selection_from_key builds the type it is given
    return chosen


def _names(items: Sequence[tuple[str, ...]]) -> str:
    shown = ", ".join(" ".join(i) for i in items[:6])
    return shown + (f" and {len(items) - 6} more" if len(items) > 6 else "")  # noqa: PLR2004


def check_drift(target: Target) -> list[Finding]:
    """Compare what is installed with the lock (project env only)."""
    if not target.is_project_env or target.sync_clean:
        return []
    drift = lock_drift(target)
    if drift is None:
        return []
    missing, extra, other = drift
    fix = "corral sync"
    keep = "; to record them instead: corral adopt"
    findings = []
    if missing:
        findings.append(
            Finding(
                code=DRIFT_MISSING,
                severity="warning",
                fix="corral sync",
                message=f"locked but not installed: {_names(missing)}",
                details={"packages": dict(missing)},
            )
        )
    if extra:
        findings.append(
            Finding(
                code=DRIFT_EXTRA,
                severity="warning",
                fix=fix,
                message=f"installed but not in the lock: {_names(extra)}{keep}",
                details={"packages": dict(extra)},
            )
        )
    if other:
        findings.append(
            Finding(
                code=DRIFT_VERSION,
                severity="warning",
                fix=fix,
                message=f"installed at another version than locked: "
                f"{_names([(n, f'{i} (lock: {v})') for n, i, v in other])}{keep}",
                details={"packages": {n: {"installed": i, "locked": v} for n, i, v in other}},
            )
        )
    return findings


def _fix_drift(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - one sync fixes every drift
    """Sync the env with the lock (once for every drift finding)."""
    return repairs.sync()


_SYNC: Final = Fix(apply=_fix_drift, covered_by_rebuild=True)

FIXES: Final[dict[str, Fix]] = {DRIFT_MISSING: _SYNC, DRIFT_EXTRA: _SYNC, DRIFT_VERSION: _SYNC}
