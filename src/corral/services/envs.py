"""`corral envs`: list, scan, gc and rm over the machine-wide inventory (returns data; the CLI renders it)."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.core.pyversion import sort_key
from corral.errors import SafetyRefusal, UsageError
from corral.inventory.health import env_health
from corral.inventory.model import EnvRecord
from corral.inventory.safety import refusal
from corral.inventory.size import SizeCounter
from corral.inventory.store import Store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from corral.inventory.health import DriftCheck
    from corral.inventory.scan import FoundEnv, Progress
    from corral.services.context import Context

__all__ = [
    "SORTS",
    "EnvRow",
    "GcItem",
    "GcPlan",
    "Listing",
    "ScanResult",
    "check_removal",
    "list_envs",
    "parse_age",
    "plan_gc",
    "remove",
    "run_gc",
    "safety_refusal",
    "scan_envs",
]

SORTS: Final = ("size", "used", "python")
THROWAWAY_KINDS: Final = ("script", "tool")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True, slots=True)
class EnvRow:
    """One env as `envs list` shows it."""

    record: EnvRecord
    health: str
    reason: str
    size: int | None
    exclusive: int | None
    size_cached: bool | None = None
    size_measured_at: float | None = None

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """JSON-ready form.

        `size`: bytes on disk not already counted for an env listed before (hard links counted once);
        `exclusive_size`: bytes of folders and single-link files (what deleting the env surely frees);
        `size_cached`: true when both come from corral's size cache rather than a walk of the env's files now;
        `size_measured_at` (epoch seconds) and `size_age` (seconds): when the walk behind them ran.
        """
        measured = self.size_measured_at
        return {
            **self.record.to_dict(),
            "health": self.health,
            "health_reason": self.reason,
            "size": self.size,
            "exclusive_size": self.exclusive,
            "size_cached": self.size_cached,
            "size_measured_at": measured,
            "size_age": None if measured is None else round(max(0.0, (now or time.time()) - measured), 1),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Listing:
    """Every known env, the real total on disk, and records dropped because their folder is gone."""

    rows: list[EnvRow]
    total: int
    forgotten: list[str] = field(default_factory=list)


# Files that the fast paths of `run`/`x`/`sync` refresh (a stat, no database write) when they use an env.
_USE_MARKERS: Final = ("corral-ready.json", "corral-sync.json")


def _with_recent_use(record: EnvRecord) -> EnvRecord:
    """The record with `last_used` raised to the newest use marker inside the env."""
    newest = record.last_used or 0.0
    for name in _USE_MARKERS:
        try:
            newest = max(newest, os.stat(os.path.join(record.path, name)).st_mtime)
        except OSError:  # noqa: PERF203 - a few marker names, each may be missing
            continue
    return record if newest == (record.last_used or 0.0) else replace(record, last_used=newest)


@dataclass(frozen=True, slots=True)
class _Size:
    bytes: int
    exclusive: int
    cached: bool
    measured_at: float | None


def _sizes(ctx: Context, paths: list[str], *, refresh: bool) -> dict[str, _Size]:
    """Each env's size, a file hard-linked into several counted once; footprints from the size cache when valid.

    Envs are taken by real path in order, so an env inside another one (or a second record of the same folder)
    comes after it and adds nothing, as its files were counted with the outer env.
    """
    from corral.inventory.size import Tally
    from corral.inventory.size_cache import CACHE_NAME, SizeCache

    cache = SizeCache(ctx.paths.cache / CACHE_NAME, refresh=refresh)
    real = {path: os.path.realpath(path) for path in paths}
    tally, counted, sizes = Tally(), set[str](), {}
    for path in sorted(paths, key=lambda p: real[p]):
        folder = real[path]
        if folder in counted or _inside(folder, counted):
            sizes[path] = _Size(0, 0, cached=False, measured_at=None)
            continue
        counted.add(folder)
        footprint, cached = cache.footprint(folder)
        sizes[path] = _Size(tally.add(footprint, cache.pool), footprint.private, cached, footprint.measured_at)
    cache.save(keep=counted)
    return sizes


def _inside(folder: str, folders: set[str]) -> bool:
    parent = os.path.dirname(folder)
    while parent != folder:
        if parent in folders:
            return True
        folder, parent = parent, os.path.dirname(parent)
    return False


def list_envs(
    ctx: Context,
    *,
    sort: str = "used",
    with_size: bool = True,
    refresh: bool = False,
    drift_check: DriftCheck | None = None,
) -> Listing:
    """Every env in the inventory with health and size; records of folders that no longer exist are forgotten.

    Sizes come from corral's size cache for envs whose install-related files did not change since they were
    measured (`inventory.size_cache`); `refresh` measures every env again.
    """
    if sort not in SORTS:
        msg = f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}"
        raise UsageError(msg)
    with Store.open(ctx.paths) as store:
        records = [_with_recent_use(r) for r in store.all()]
        gone = [r.path for r in records if not os.path.lexists(r.path)]
        for path in gone:
            store.delete(path)
    dropped = set(gone)
    records = [r for r in records if r.path not in dropped]
    sizes = _sizes(ctx, [r.path for r in records], refresh=refresh) if with_size else {}
    rows = []
    for record in records:
        health = env_health(Path(record.path), drift_check=drift_check)
        measured = sizes.get(record.path)
        rows.append(
            EnvRow(
                record=record,
                health=health.word,
                reason=health.reason,
                size=measured.bytes if measured else None,
                exclusive=measured.exclusive if measured else None,
                size_cached=measured.cached if measured else None,
                size_measured_at=measured.measured_at if measured else None,
            )
        )
    if sort == "size":
        rows.sort(key=lambda r: -(r.size or 0))
    elif sort == "python":
        rows.sort(key=lambda r: sort_key(r.record.version or ""))
    else:
        rows.sort(key=lambda r: -(r.record.last_used or 0))
    return Listing(rows=rows, total=sum(r.size or 0 for r in rows), forgotten=gone)


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanResult:
    """Envs found on disk, how many were new to the inventory, and how many known ones now run another Python."""

    found: list[FoundEnv]
    added: int
    roots: list[str]
    updated: int = 0


def scan_envs(ctx: Context, folders: Sequence[Path] = (), progress: Progress | None = None) -> ScanResult:
    """Find envs under `folders` (default: home + tool locations) and add the unknown ones, read-only.

    `progress(folders looked into, envs found)` is called at most once a second while the walk lasts.
    """
    from corral.inventory.scan import DEFAULT_DEPTH, ScanRoot, default_roots, scan

    if folders:
        missing = [str(f) for f in folders if not (ctx.cwd / f).is_dir()]
        if missing:
            msg = f"cannot scan {', '.join(missing)}: not a folder; pass existing folders"
            raise UsageError(msg)
        roots = [ScanRoot((ctx.cwd / f).absolute(), DEFAULT_DEPTH) for f in folders]
    else:
        roots = default_roots(ctx.environ, home=_home(ctx))
    found = scan(roots, progress)
    now = time.time()
    records = [
        EnvRecord(
            path=str(f.path),
            kind=f.kind if f.kind in {"project", "script", "tool", "conda"} else "other",
            project=f.project,
            interpreter=f.interpreter,
            version=f.version,
            creator=f.creator,
            created_at=_ctime(f.path, now),
            last_used=None,
            source="scan",
        )
        for f in found
    ]
    with Store.open(ctx.paths) as store:
        added = store.upsert_many(records, keep_existing=True)
        # a known env rebuilt or upgraded since it was recorded: its Python as its files now say
        updated = store.set_versions((str(f.path), f.version, None) for f in found if f.version)
    return ScanResult(found=found, added=added, roots=[str(r.path) for r in roots], updated=updated)


def _ctime(path: Path, default: float) -> float:
    try:
        return os.stat(path / "pyvenv.cfg").st_mtime
    except OSError:
        return default


def parse_age(text: str) -> float:
    """'30d' / '12h' / '2w' / '90m' / '45s' -> seconds."""
    match = _AGE_RE.match(text or "")
    if not match:
        msg = f"cannot read the age {text!r}; write a number and a unit: 30d, 12h, 2w, 90m"
        raise UsageError(msg)
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def _home(ctx: Context) -> Path:
    value = ctx.environ.get("USERPROFILE" if os.name == "nt" else "HOME")
    return Path(value) if value else Path.home()


def _safety_args(ctx: Context) -> dict[str, Any]:
    from corral.services.project import find_project_root

    return {"home": _home(ctx), "cwd": ctx.cwd, "project_root": find_project_root(ctx.cwd)}


@dataclass(frozen=True, kw_only=True, slots=True)
class GcItem:
    """An env gc will remove, why, and the bytes deleting it frees."""

    path: str
    why: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": self.path, "why": self.why, "size": self.size}


@dataclass(frozen=True, kw_only=True, slots=True)
class GcPlan:
    """What gc would do: remove `items`, skip `refused` (path, reason), forget `gone`, finish `trash`."""

    items: list[GcItem]
    refused: list[tuple[str, str]]
    gone: list[str]
    trash: list[str]

    @property
    def freed(self) -> int:
        """Bytes the removals free."""
        return sum(i.size for i in self.items)


def _gc_reason(record: EnvRecord, cutoff: float) -> str | None:
    if record.kind in THROWAWAY_KINDS and (record.last_used or record.created_at) < cutoff:
        days = (time.time() - (record.last_used or record.created_at)) / 86400
        return f"cached {record.kind} env unused for {days:.0f} days"
    if record.project and not os.path.isdir(record.project):
        return f"its project {record.project} is gone"
    health = env_health(Path(record.path))
    return f"broken: {health.reason}" if health.word == "broken" else None


def plan_gc(ctx: Context, *, older_than: float) -> GcPlan:
    """Decide what gc removes; changes nothing."""
    cutoff = time.time() - older_than
    with Store.open(ctx.paths) as store:
        records = [_with_recent_use(r) for r in store.all()]
        trash = [t for t, _ in store.pending_trash()]
    safety = _safety_args(ctx)
    counter = SizeCounter()
    items, refused, gone = [], [], []
    for record in records:
        if not os.path.lexists(record.path):
            gone.append(record.path)
            continue
        why = _gc_reason(record, cutoff)
        if why is None:
            continue
        reason = refusal(record.path, require_corral=True, paths=ctx.paths, **safety)
        if reason:
            refused.append((record.path, reason))
            continue
        items.append(GcItem(path=record.path, why=why, size=counter.measure(record.path).exclusive))
    return GcPlan(items=items, refused=refused, gone=gone, trash=trash)


def run_gc(ctx: Context, plan: GcPlan) -> tuple[list[GcItem], list[tuple[str, str]]]:
    """Carry out `plan` (each removal re-checked by safety); returns (removed, failed with reasons)."""
    from corral.errors import CorralError
    from corral.inventory.record import forget
    from corral.inventory.remove import finish_trash, remove_env

    finish_trash(ctx.paths)
    for path in plan.gone:
        forget(ctx.paths, path)
    removed, failed = [], []
    safety = _safety_args(ctx)
    for item in plan.items:
        try:
            remove_env(ctx.paths, Path(item.path), require_corral=True, **safety)
        except CorralError as err:
            failed.append((item.path, str(err)))
            continue
        removed.append(item)
    return removed, failed


def safety_refusal(ctx: Context, path: Path, *, project_env: bool = False) -> str | None:
    """Why `path` must not be deleted (None: it may be); `project_env` judges the project's own env (recreate)."""
    args = _safety_args(ctx)
    if project_env:
        args["cwd"] = args["project_root"] = ctx.require_project().root
    return refusal(path, allow_broken_corral_env=project_env, paths=ctx.paths, **args)


def check_removal(ctx: Context, path: Path) -> int:
    """Refuse (SafetyRefusal) unless `path` may be removed; returns the bytes removing it frees."""
    reason = refusal(path, paths=ctx.paths, **_safety_args(ctx))
    if reason:
        msg = f"refusing to delete {path}: {reason}"
        raise SafetyRefusal(msg)
    return SizeCounter().measure(os.path.abspath(path)).exclusive


def remove(ctx: Context, path: Path) -> None:
    """Delete one env (any tool's, once safety proves it is an env) and drop it from the inventory."""
    from corral.inventory.remove import remove_env

    remove_env(ctx.paths, path, **_safety_args(ctx))
