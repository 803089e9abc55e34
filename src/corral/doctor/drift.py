"""Drift: installed distributions that differ from the lock entries selected for the env's interpreter.

Also, in any env, a distribution whose metadata is gone (`drift-damaged`: a `*.dist-info` folder without its
`METADATA`, an `*.egg-info` folder without its `PKG-INFO`): importlib.metadata and pip then read no name or
version for it (uv goes by the folder's name), so what the env holds is no longer what its tools say.

A sync stamp that holds proves the env is the lock (`Target.sync_clean`), but it records the site-packages
folders, not the files inside each distribution's folder. A metadata file whose ctime is not older than the stamp
(edited in place since the sync, even with its mtime given back: no process can set a ctime back) therefore sends
the check to compare for real. uv links these files from its cache, so another env made or removed from that cache
moves their ctime too: that only costs this comparison.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.core.names import normalize_name
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from corral.core.selection import Selection
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = [
    "DRIFT_DAMAGED",
    "DRIFT_EXTRA",
    "DRIFT_MISSING",
    "DRIFT_VERSION",
    "FIXES",
    "STAMP_FILE",
    "check_drift",
    "lock_drift",
    "metadata_scan",
    "selection_from_key",
]

DRIFT_MISSING: Final = "drift-missing"
DRIFT_EXTRA: Final = "drift-extra"
DRIFT_VERSION: Final = "drift-version"
DRIFT_DAMAGED: Final = "drift-damaged"  # a distribution's folder without its metadata file

STAMP_FILE: Final = "corral-sync.json"  # services.sync.stamp_state.STAMP_FILE (a test keeps the two equal)
_METADATA: Final = {"dist-info": "METADATA", "egg-info": "PKG-INFO"}

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
    moved = target.host.moved_folders(target.root, desired, target.distributions, windows=target.env.windows)
    plan = SyncPlan.diff(desired, target.distributions, keep=keep, reinstall=moved)
    missing = [(c.name, c.version or "?") for c in plan.install]
    extra = [(name, version) for name, version in plan.remove]
    other = [
        (name, installed, c.version or f"from {c.url}")
        for name, installed, c in plan.change
        if c.kind not in {"directory", "vcs"} or name in moved
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


def metadata_scan(target: Target) -> tuple[list[str], int]:
    """(the distribution folders whose metadata file is gone or no regular file, the newest ctime of the others).

    One stat per distribution, through links as the readers open them.
    """
    import stat

    damaged: list[str] = []
    newest = 0
    for site in target.env.site_packages():
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not (dot and stem) or suffix not in _METADATA:
                continue
            folder = os.path.join(site, name)
            try:
                if not stat.S_ISDIR(os.stat(folder).st_mode):
                    continue  # an egg-info file is the metadata itself (distutils): `ctime` below does not count it
                st = os.stat(os.path.join(folder, _METADATA[suffix]))
            except OSError:
                damaged.append(folder)
                continue
            if not stat.S_ISREG(st.st_mode):
                damaged.append(folder)
                continue
            newest = max(newest, st.st_ctime_ns)
    return damaged, newest


def _vouched_by_stamp(target: Target, newest_metadata: int) -> bool:
    """The sync stamp holds, and no metadata file changed since it was written (so the stamp saw them all)."""
    if not target.sync_clean:
        return False
    try:
        written = os.stat(target.root / STAMP_FILE).st_mtime_ns
    except OSError:
        return False
    return newest_metadata < written


def _damaged_findings(target: Target, damaged: list[str]) -> list[Finding]:
    if not damaged:
        return []
    names = [(os.path.basename(folder),) for folder in damaged]
    return [
        Finding(
            code=DRIFT_DAMAGED,
            severity="error",
            fix="corral recreate" if target.is_project_env else "",
            message=f"installed distributions without their metadata file: {_names(names)} (a damaged install: "
            "importlib.metadata and pip read no name or version for them)"
            + ("" if target.is_project_env else "; reinstall them with the tool that made the env"),
            details={"folders": damaged},
        )
    ]


def check_drift(target: Target) -> list[Finding]:
    """Distributions whose metadata is gone (any env); what is installed against the lock (the project's env)."""
    damaged, newest = metadata_scan(target)
    findings = _damaged_findings(target, damaged)
    if not target.is_project_env or _vouched_by_stamp(target, newest):
        return findings
    drift = lock_drift(target)
    if drift is None:
        return findings
    missing, extra, other = drift
    fix = "corral sync"
    keep = "; to record them instead: corral adopt"
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
        elsewhere = _locked_elsewhere(target)
        loose = [(n, v) for n, v in extra if normalize_name(n) not in elsewhere]
        other_choice = [(n, v) for n, v in extra if normalize_name(n) in elsewhere]
        said = [f"installed but not in the lock: {_names(loose)}"] if loose else []
        if other_choice:  # in the lock, for a group or extra the last sync did not choose: not "not in the lock"
            said.append(
                f"installed but not in the groups and extras the env was synced with (the lock has them for "
                f"others): {_names(other_choice)}"
            )
        findings.append(
            Finding(
                code=DRIFT_EXTRA,
                severity="warning",
                fix=fix,
                message="; ".join(said) + keep,
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


def _locked_elsewhere(target: Target) -> set[str]:
    """The names (normalized) the lock holds for this interpreter with every group and extra; empty when unknown."""
    from corral.core.interpreter import InterpreterInfo
    from corral.core.selection import Selection
    from corral.errors import CorralError

    ident, lock_path = target.base_identity, target.lock_path
    if ident is None or lock_path is None:
        return set()
    info = InterpreterInfo.from_probe(ident, path=str(target.python))
    everything = Selection(all_groups=True, all_extras=True)
    try:  # the key as `services.sync.stamp_state.selection_key` spells this selection (the choice cache's)
        chosen = target.host.locked_packages(lock_path, info, everything, "g=*default*;e=;f=GE")
    except CorralError:
        return set()
    return {normalize_name(c.name) for c in chosen}


def _fix_drift(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - one sync fixes every drift
    """Sync the env with the lock (once for every drift finding)."""
    return repairs.sync()


_SYNC: Final = Fix(apply=_fix_drift, covered_by_rebuild=True)

FIXES: Final[dict[str, Fix]] = {
    DRIFT_MISSING: _SYNC,
    DRIFT_EXTRA: _SYNC,
    DRIFT_VERSION: _SYNC,
    DRIFT_DAMAGED: Fix(rebuild=True),  # the stamp still holds: a sync would find nothing to do
}
