"""`corral envs`: list, scan, gc and rm over the machine-wide inventory (returns data; the CLI renders it)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

from corral.core.pyversion import sort_key
from corral.errors import SafetyRefusal, UsageError
from corral.inventory.health import env_health
from corral.inventory.model import EnvRecord
from corral.inventory.safety import refusal
from corral.inventory.size import SizeCounter
from corral.inventory.store import Store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from corral.inventory.health import DriftCheck, Health
    from corral.inventory.scan import FoundEnv, Progress
    from corral.inventory.size import Footprint
    from corral.inventory.size_cache import Identity, SizeCache
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
    size_status: str | None = None

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """JSON-ready form.

        `size`: bytes on disk not already counted for an env listed before (hard links counted once);
        `exclusive_size`: bytes of folders and single-link files (what deleting the env surely frees);
        `size_cached`: true when both come from corral's size cache rather than a walk of the env's files now;
        `size_measured_at` (epoch seconds) and `size_age` (seconds): when the walk behind them ran;
        `size_status`: "cached", "measured" (walked now) or "missing" (not measured within the listing's time
        budget: `size`, `exclusive_size` and `size_cached` are null).
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
            "size_status": self.size_status,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Listing:
    """Every known env, the real total on disk, and records dropped because their folder is gone.

    `total` adds the sizes of the envs measured; `unmeasured` envs (not measured within the time budget) are not
    in it. `measuring`: a background process is measuring them for the next listing (`inventory.size_fill`);
    `filler`: the process id of the one this listing started (None: it started none).
    """

    rows: list[EnvRow]
    total: int
    forgotten: list[str] = field(default_factory=list)
    unmeasured: int = 0
    measuring: bool = False
    filler: int | None = None


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
    return record if newest == (record.last_used or 0.0) else record.replace(last_used=newest)


# threads that look at envs (health, cached sizes, walks): each mostly waits for the disk when the env's files are not
# in memory (after a reboot: the size cache's stats of 1 000 envs took 2.10 s in one thread, 1.07 s in 4, 0.70 s in
# 16); when they are, the GIL makes any number about as fast as one (so they are used only after a first batch read
# from the disk)
_WORKERS: Final = 16
_T = TypeVar("_T")
_P = ParamSpec("_P")
_SLOW: Final = 0.001  # seconds an env takes to judge when its files are read from the disk (0.2 ms from memory)
_BATCH: Final = 50  # envs a thread judges or looks up in one task (a task has its own cost)
_REPORT_EVERY: Final = 1.0  # seconds between two progress calls
# progress(envs whose size is known, envs to size), while a listing waits for every size
SizeProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _Size:
    bytes: int | None
    exclusive: int | None
    status: str  # cached | measured | missing
    measured_at: float | None = None
    cached: bool | None = None  # size_cached: None when missing, False for an env counted with another one

    def counted_elsewhere(self) -> _Size:
        """The size of an env counted with this one (inside it, or a second record of its folder)."""
        return self if self.bytes is None else _Size(0, 0, self.status, cached=False)


def _sizes(
    ctx: Context,
    paths: list[str],
    workers: Executor,
    *,
    refresh: bool,
    deadline: float | None = None,
    progress: SizeProgress | None = None,
) -> tuple[dict[str, _Size], list[str]]:
    """Each env's size, a file hard-linked into several counted once; footprints from the size cache when valid.

    Envs are taken by real path in order, so an env inside another one (or a second record of the same folder)
    comes after it and adds nothing, as its files were counted with the outer env. They are measured in `paths`
    order (the most useful first), in threads, until `deadline` (time.monotonic()); the real paths of the envs
    still unmeasured then are returned with the sizes (their sizes are None and their status "missing").
    """
    from corral.inventory.size import Tally
    from corral.inventory.size_cache import CACHE_NAME, SizeCache

    cache = SizeCache(ctx.paths.cache / CACHE_NAME, refresh=refresh)
    real = {path: os.path.realpath(path) for path in paths}
    outer: dict[str, str | None] = {}  # real path -> the real path of the env it is inside (None: it is not)
    for folder in sorted(set(real.values())):
        outer[folder] = _inside(folder, outer)

    wanted = list(dict.fromkeys(real[path] for path in paths if outer[real[path]] is None and _env_marked(real[path])))
    found = _measure(cache, wanted, workers, deadline, progress)
    tally, by_folder = Tally(), {}
    for folder, holder in outer.items():
        known = found.get(holder or folder)
        if known is None:
            by_folder[folder] = _Size(None, None, "missing")
        elif holder is not None:
            by_folder[folder] = by_folder[holder].counted_elsewhere()
        else:
            footprint, cached = known
            added = tally.add(footprint, cache.pool)
            status = "cached" if cached else "measured"
            by_folder[folder] = _Size(added, footprint.private, status, footprint.measured_at, cached=cached)
    cache.save(keep={folder for folder, holder in outer.items() if holder is None})
    seen: set[str] = set()
    sizes = {}
    for path in sorted(paths, key=lambda p: real[p]):  # a second record of a folder: counted with the first
        size = by_folder[real[path]]
        sizes[path] = size.counted_elsewhere() if real[path] in seen else size
        seen.add(real[path])
    return sizes, [folder for folder in wanted if folder not in found]


def _env_marked(folder: str) -> bool:
    """Whether `folder` holds an env's own marker (a regular pyvenv.cfg, or conda-meta/): only such folders are walked.

    A record's path can have become a link to anything (`.venv -> /usr`, or `/`): without the marker the walk would
    measure that, here and in the background filler, at every listing.
    """
    try:
        return stat.S_ISREG(os.lstat(os.path.join(folder, "pyvenv.cfg")).st_mode)
    except OSError:
        return os.path.isdir(os.path.join(folder, "conda-meta")) and not os.path.islink(
            os.path.join(folder, "conda-meta")
        )


def _measure(
    cache: SizeCache, folders: list[str], workers: Executor, deadline: float | None, progress: SizeProgress | None
) -> dict[str, tuple[Footprint, bool]]:
    """(footprint, from the cache) of each of `folders` found valid in the cache or walked by `deadline`.

    The cache is asked first (a few stat calls an env, always done, so a valid cached size is always shown), in
    batches; then a few threads walk the others in order, and a walk still going at the deadline stops and
    leaves its env out.
    """
    from functools import partial

    found: dict[str, tuple[Footprint, bool]] = {}
    walk: list[tuple[str, Identity]] = []
    for folder, ident, known in chain.from_iterable(workers.map(partial(_look, cache, deadline), _batches(folders))):
        if known is not None:
            found[folder] = known, True
        elif ident is not None:
            walk.append((folder, ident))

    report = [time.monotonic() + _REPORT_EVERY]

    def measure(folder: str, ident: Identity) -> None:  # in the calling thread or a worker
        if deadline is not None and time.monotonic() > deadline:
            return
        with contextlib.suppress(TimeoutError):  # a walk stops itself at the deadline
            found[folder] = cache.measure(folder, ident, deadline=deadline), False
        if progress is not None and time.monotonic() >= report[0]:
            report[0] = time.monotonic() + _REPORT_EVERY
            progress(len(found), len(folders))

    for future in [workers.submit(measure, folder, ident) for folder, ident in walk]:
        future.result()
    return found


def _look(
    cache: SizeCache, deadline: float | None, batch: list[str]
) -> list[tuple[str, Identity | None, Footprint | None]]:
    """(folder, identity, valid cached footprint) of each; past `deadline` only the folders the cache holds."""
    late = deadline is not None and time.monotonic() > deadline
    return [(f, *cache.lookup(f)) if not late or cache.holds(f) else (f, None, None) for f in batch]


def _workers(seconds: float, envs: int, blocks: int | None = None) -> Executor:
    """Threads when judging `envs` took `seconds`, as long as reading from the disk takes; else the calling thread.

    Files not in memory (as after a reboot): the threads wait for the disk together (0.6x the time of one). Files in
    memory: threads only add GIL contention (1.5x the time of one thread on 2 busy cores). `blocks`: what that
    judging read from the disk (None: unknown); a slow judging that read nothing waited for a busy CPU, not the disk.
    """
    from concurrent.futures import ThreadPoolExecutor

    slow = seconds > _SLOW * envs and blocks != 0
    return ThreadPoolExecutor(_WORKERS) if slow else _Inline()


def _blocks_read() -> int | None:
    """Blocks this process has read from a disk so far (getrusage's ru_inblock), None where that is not counted."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_inblock


class _Inline(Executor):
    """Runs each task at once, in the calling thread."""

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        """Run `fn` now; its result or its exception in a finished future."""
        future: Future[_T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the caller through the future, as a thread pool does
            future.set_exception(error)
        return future


def _batches(items: list[_T], size: int = _BATCH) -> list[list[_T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _inside(folder: str, folders: dict[str, str | None]) -> str | None:
    """The real path of the outermost env of `folders` that holds `folder` (None: none does)."""
    parent = os.path.dirname(folder)
    while parent != folder:
        if parent in folders:
            return folders[parent] or parent
        folder, parent = parent, os.path.dirname(parent)
    return None


def list_envs(
    ctx: Context,
    *,
    sort: str = "used",
    with_size: bool = True,
    refresh: bool = False,
    budget: float | None = None,
    background: bool = False,
    progress: SizeProgress | None = None,
    drift_check: DriftCheck | None = None,
) -> Listing:
    """Every env in the inventory with health and size; records of folders that no longer exist are forgotten.

    Sizes come from corral's size cache for envs whose install-related files did not change since they were
    measured (`inventory.size_cache`); `refresh` measures every env again. The others are measured (most
    recently used first) until `budget` seconds from the call (None: as long as it takes, with `progress` told
    once a second, maybe from a worker thread); those not measured then are left out of the total, and
    `background` starts a process that measures them into the cache for the next listing (`inventory.size_fill`).
    Health checks come first. When the first envs' files had to be read from the disk, the rest of the work runs
    in a few threads (`drift_check` may then be called from several at once).
    """
    deadline = None if budget is None else time.monotonic() + budget
    if sort not in SORTS:
        msg = f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}"
        raise UsageError(msg)
    with Store.open(ctx.paths) as store:
        records = store.all()
    from corral.inventory.health_cache import CACHE_NAME, HealthCache

    told = HealthCache(ctx.paths.cache / CACHE_NAME)  # what each env's files said, while they are unchanged

    def judge(batch: list[EnvRecord]) -> list[tuple[EnvRecord, Health | None]]:  # None: the folder is gone
        return [
            (_with_recent_use(r), env_health(Path(r.path), drift_check=drift_check, reader=told.said))
            if os.path.lexists(r.path)
            else (r, None)
            for r in batch
        ]

    sizes: dict[str, _Size] = {}
    pending: list[str] = []
    batches = _batches(records)
    started, blocks = time.monotonic(), _blocks_read()
    looked = judge(batches[0]) if batches else []  # health first: sizes get what is left of the budget
    read = None if blocks is None else (_blocks_read() or 0) - blocks
    with _workers(time.monotonic() - started, len(looked), read) as workers:
        looked += [pair for part in workers.map(judge, batches[1:]) for pair in part]
        gone = [r.path for r, health in looked if health is None]
        judged = [(r, health) for r, health in looked if health is not None]
        told.save(keep={os.fspath(Path(r.path)) for r, _ in judged})
        if with_size:
            by_use = sorted((r for r, _ in judged), key=lambda r: -(r.last_used or r.created_at or 0))
            sizes, pending = _sizes(
                ctx, [r.path for r in by_use], workers, refresh=refresh, deadline=deadline, progress=progress
            )
    if gone:
        with Store.open(ctx.paths) as store:
            for path in gone:
                store.delete(path)
    filler = None
    measuring = False
    if pending and background:
        from corral.inventory.size_fill import start

        spawned = start(ctx.paths.cache, pending)
        measuring, filler = spawned is not None, spawned or None
    rows = []
    for record, health in judged:
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
                size_status=measured.status if measured else None,
            )
        )
    if sort == "size":
        rows.sort(key=lambda r: -(r.size or 0))
    elif sort == "python":
        rows.sort(key=lambda r: sort_key(r.record.version or ""))
    else:
        rows.sort(key=lambda r: -(r.record.last_used or 0))
    return Listing(
        rows=rows,
        total=sum(r.size or 0 for r in rows),
        forgotten=gone,
        unmeasured=sum(r.size_status == "missing" for r in rows),
        measuring=measuring,
        filler=filler,
    )


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
