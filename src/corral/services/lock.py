"""`corral lock`: resolve pyproject.toml for every platform requires-python admits; write pylock.toml.

The use case only: what the lock is resolved from (index URLs, default groups, the interpreter, the project's
version: services.project_version), which resolver serves that Python (`corral.resolvers`: uv for 3.6+,
resolvers/uv.py; pip-tools for 2.7, services.legacy), the previous lock's pins to keep (`--upgrade` /
`--upgrade-package` drop them), and the PEP 751 document (core.pylock_write). When a locked package depends on the
project, the project itself is recorded too, as PEP 751 allows: a `[packages.directory]` entry (path ".",
editable, as `corral sync` installs it), so `uv pip sync pylock.toml` installs a closed set. A lock whose inputs
did not change since corral wrote it is not resolved again (services.lock_stamp; `corral lock`'s fast path); one no
stamp vouches for (a fresh clone) whose inputs-hash still matches is first resolved from uv's cache alone, and kept
when that gives it to the byte (`_kept_offline`). A plain lock records what it gave `uv lock`, so that the next
one (no lock, or this one, and the same pyproject.toml) begins uv before its command line is parsed
(`_remember_plan`, resolvers.uv_headstart); a resolution to the very uv.lock of the project's last lock recalls its
exports (`_export_memo`, resolvers.uv_export_cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.lock_fingerprint import LOCK_FILE, stored_inputs_hash
from corral.core.names import normalize_name
from corral.core.pylock_check import check_lock
from corral.errors import ConfigError, CorralError, LockError, LockOutdated
from corral.infra.toml_file import parse_toml, read_bytes, read_text, read_toml
from corral.resolvers.uv import requirement_name
from corral.services.lock_inputs import default_groups, index_urls, indexes_from_project, is_fresh, lock_inputs_hash

if TYPE_CHECKING:
    from corral.core.deps import ProjectDeps
    from corral.core.pylock_scan import ScannedLock
    from corral.resolvers.uv import Exports, Plan, Resolving, UvRequest
    from corral.services.context import Context

__all__ = [
    "LOCK_FILE",
    "LockReport",
    "checked_lock",
    "default_groups",
    "diff_versions",
    "ensure_lock",
    "index_urls",
    "is_fresh",
    "lock",
    "lock_inputs_hash",
    "lock_python",
    "locked_versions",
    "plan_settings",
    "python_choice",
    "record_stamp",
    "remember_upcoming",
    "render_lock",
    "text_versions",
]

Progress = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class LockReport:
    """What a lock run did: the file, whether it changed, and the package-level difference."""

    path: Path
    written: bool
    packages: int
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path),
            "written": self.written,
            "packages": self.packages,
            "added": [{"name": n, "version": v} for n, v in self.added],
            "removed": [{"name": n, "version": v} for n, v in self.removed],
            "updated": [{"name": n, "old": o, "new": v} for n, o, v in self.updated],
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------- inputs


# (services.lock_inputs: index_urls, default_groups, lock_inputs_hash, is_fresh)


# ---------------------------------------------------------------- resolution


def lock_python(ctx: Context) -> str | None:
    """The interpreter a lock is resolved with: the project env's (when corral vouches for it), else the chosen one."""
    return _python_choice(ctx)[0]


def _python_choice(ctx: Context) -> tuple[str | None, bool]:
    """(the interpreter, True when it is the project env's own)."""
    from corral.services.exec_guard import vouched_env

    project = ctx.project
    if project is not None and vouched_env(ctx, project.env_path):  # else sync rebuilds the env: never started
        from corral.core.env import Env

        exe = Env.at(project.env_path).python
        if exe.exists() and not _env_python_unwanted(ctx, exe):
            return str(exe), True
    from corral.services.python import choose_interpreter

    try:
        return choose_interpreter(ctx)[0].path, False
    except ConfigError:
        raise  # a project file asks for what corral refuses (a program it ships, a bad spec): uv must not guess
    except Exception:  # noqa: BLE001 - uv can still pick one itself
        return None, False


def _recorded_choice(ctx: Context, pyproject: Path) -> tuple[str | None, bool] | None:
    """The last lock's interpreter when everything that chose it is as then (services.lock_stamp.recorded_python)."""
    from corral.services import lock_stamp

    project = ctx.require_project()
    if pyproject != project.pyproject:
        return None
    return lock_stamp.recorded_python(ctx.paths, pyproject=pyproject, env=project.env_path, environ=ctx.environ)


def python_choice(ctx: Context) -> tuple[str | None, bool]:
    """The interpreter a lock is resolved with and whether it is the project env's own (for `record_stamp`)."""
    return _python_choice(ctx)


def record_stamp(ctx: Context, data: Mapping[str, Any], text: str, *, python: str | None, from_env: bool) -> None:
    """The stamp `corral lock` writes, after add/remove/adopt committed `text` (resolved from `data` with `python`).

    So the next `corral lock` does not resolve it again. Only a cache: a failure here fails nothing.
    """
    import contextlib

    with contextlib.suppress(CorralError, OSError):
        _stamp(ctx, data, text, python=python, from_env=from_env)


def _env_python_unwanted(ctx: Context, exe: Path) -> bool:
    """The env runs another Python than the project asks for (sync rebuilds it after locking): lock with that one."""
    from corral.errors import CorralError
    from corral.services.python import unmet_request

    try:
        return unmet_request(ctx, ctx.finder.from_path(exe)) is not None
    except CorralError:  # an unreadable request or env: as before, the env's python
        return False


class _Unset:
    """`render_lock(python=...)` not given: the service chooses."""


_UNSET = _Unset()


def render_lock(
    ctx: Context,
    data: Mapping[str, Any],
    *,
    project_root: Path,
    source: str = "pyproject.toml",
    previous: Path | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    candidates: Sequence[str] = (),
    progress: Progress | None = None,
    prefer: Mapping[str, str] | None = None,
    python: str | _Unset | None = _UNSET,
    offline: bool = False,
    on_resolved: Callable[[Plan], object] | None = None,
    changed: bool = False,
) -> str:
    """The pylock.toml text for the parsed pyproject `data` (raises LockError naming the failing requirement).

    `prefer`: name -> version kept when the requirements allow it, over the previous lock's pin (adopt).
    `python`: the interpreter to resolve with, when the caller chose it already (else `lock_python`).
    `offline`: uv resolves from its cache only (resolvers.uv.CacheUnanswered when it cannot); Python 3.6+ only.
    `on_resolved`: told what `uv lock` was given once it resolved (resolvers.uv.UvRequest.on_resolved).
    `changed`: `data` is the project's requirements changed since its last lock (add, remove), so the resolution
    cannot be the recorded one whose exports a lock reads while uv resolves (resolvers.uv.UvRequest.early_exports).
    """
    from corral.core.pylock_write import LockDocument, document_data, merge_exports, render_pylock
    from corral.infra.environ import resolver_environ
    from corral.plugins import load_resolver
    from corral.resolvers.uv import UvRequest, UvResolver
    from corral.resolvers.uv_exports import project_entry
    from corral.services.foreign import check_declarations
    from corral.services.legacy import legacy_lock_interpreter, render_legacy_lock
    from corral.services.project_version import UNKNOWN_VERSION, forget_read_states, resolution_version

    forget_read_states()  # the stamp of this lock takes what this resolution read, or asks again
    try:
        check_declarations(data, project_root, source=source)  # Poetry/setup.py dependencies: refused, never ignored
        urls = index_urls(ctx)
        chosen = lock_python(ctx) if isinstance(python, _Unset) else python
        legacy = legacy_lock_interpreter(ctx, chosen)
        if legacy is not None:  # Python < 3.6: uv cannot resolve; pip-tools does, in that Python (resolvers/legacy.py)
            _declarations(data, source=source)
            return render_legacy_lock(
                ctx,
                data,
                interpreter=legacy,
                project_root=project_root,
                source=source,
                previous=previous,
                upgrade=upgrade,
                upgrade_packages=upgrade_packages,
                prefer=prefer,
                candidates=candidates,
                progress=progress,
            )
        pins = [] if upgrade else _pins(previous, prefer, urls[0], project_root=project_root, progress=progress)
        declared = data.get("project")
        requires_python = declared.get("requires-python") if isinstance(declared, dict) else None
        request = UvRequest(
            data=data,
            project_root=project_root,
            version=UNKNOWN_VERSION,  # the project's own, set below
            python=chosen,
            index_urls=urls,
            indexes_from_project=indexes_from_project(ctx),
            pins=pins,
            upgrade_packages=upgrade_packages,
            candidates=candidates,
            requires_python=requires_python if isinstance(requires_python, str) else None,
            environ=resolver_environ(ctx.environ),
            offline=offline,
            meanwhile=partial(_imports_after_resolving, install=changed),
            on_resolved=on_resolved,
            export_memo=_export_memo(ctx),
            early_exports=not changed,
        )
        guessed = _GuessedStart(request)
        try:
            version = resolution_version(
                ctx, project_root, data, python=chosen, progress=progress, while_building=guessed.building
            )
            request = replace(request, version=version)
            if progress and not offline:
                _note_ignored(ctx.environ, progress)
            resolver: UvResolver = load_resolver("uv")  # type: ignore[assignment]  # the table row for "uv"
            running = guessed.take(version) or resolver.start(request)
        except BaseException:
            guessed.discard()
            raise
    except Exception:
        _declarations(data, source=source)  # a broken declaration is named first, as before
        raise
    try:
        # read and checked while uv resolves: the requirement parser's imports (~30-50 ms) no longer delay uv
        deps = _declarations(data, source=source)
    except BaseException:
        running.stop()  # a broken declaration: uv's answer would not be used
        raise
    if progress and not offline:
        count = len(deps.all_requirements())
        progress("resolving", f"{count} requirement{'' if count == 1 else 's'} with uv")

    def compose(exports: Exports, graph: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, Any]]:
        """The lock's text and its checked data, from the exports and uv.lock's graph."""
        doc = LockDocument(
            requires_python=deps.requires_python,
            extras=deps.extra_names,
            dependency_groups=deps.group_names,
            default_groups=default_groups(ctx, deps.group_names),
            packages=merge_exports(exports + project_entry(data, exports, graph), graph),
            inputs_hash=lock_inputs_hash(ctx, data),
        )
        return render_pylock(doc), check_lock(document_data(doc), origin=LOCK_FILE)  # what it renders, checked once

    # composed while uv resolves when the export record expects this resolution (resolvers.uv.Resolving), else now
    result = running.finish(group_names=deps.group_names, extra_names=deps.extra_names, compose=compose)
    text, checked = _composed(result.composed) or compose(result.exports, result.graph)
    _remember(text, checked)
    return text


class _GuessedStart:
    """`uv lock` begun at the version the project's files suggest, while its build backend states the real one.

    A dynamic version not in corral's cache is asked of the build backend first (services.project_version: a build
    env made, then its hooks run, ~2 s on a cold cache), and `uv lock` needs its answer (packages may depend back on
    the project), whereas uv alone builds the project while it resolves: on a cold cache corral's lock took ~0.5-0.8 s
    longer (benchmarks/bench_cold.py --timeline, requests), most of it uv asking the index (a warm uv cache does not
    spare that: uv revalidates each page). So the very request, at the version a version file states
    (`project_version.guessed_version`), begins once the build env is ready and its hooks run (foreign.metadata's
    `hooks_go`: begun beside the env's own `uv pip compile`, one of the two uv processes waited 5 s for a host name
    in ~1 run of 4 here); it is taken when the backend states exactly that version (the same temporary project,
    command and settings: what is locked is unchanged), else ended (killed, its temporary project removed) and uv
    begins at the real one, as before. Never offline (it begins no sooner than a cached answer), nor beside a live
    head start (resolvers.uv_headstart: starting another `uv lock` discards it); one that cannot begin is only no
    head start.
    """

    def __init__(self, request: UvRequest) -> None:
        self._request = request
        self._version: str | None = None
        self._running: Resolving | None = None

    @contextmanager
    def building(self) -> Iterator[Callable[[], None]]:
        """While the build backend is asked: gives `begin` for its hooks' start; ends what began when it failed."""
        try:
            yield self._begin
        except BaseException:
            self.discard()
            raise

    def _begin(self) -> None:
        """Begin `uv lock` at the guessed version (once; nothing when there is no guess)."""
        import contextlib

        from corral.resolvers import uv_headstart
        from corral.resolvers.uv import UvResolver
        from corral.services.project_version import guessed_version

        request = self._request
        if self._version is not None or request.offline or uv_headstart.running():
            return
        with contextlib.suppress(CorralError, OSError):  # the real `uv lock` meets the same cause and names it
            version = guessed_version(request.project_root, request.data)
            if version is not None:
                self._version = version
                self._running = UvResolver().start(replace(request, version=version))

    def take(self, version: str) -> Resolving | None:
        """The resolution begun when it was at `version`, else None (one begun at another version is ended)."""
        running, self._running = self._running, None
        if running is not None and self._version == version:
            return running
        self._running = running
        self.discard()
        return None

    def discard(self) -> None:
        """End a resolution begun and not taken (killed, waited for, its temporary project removed)."""
        import contextlib

        running, self._running = self._running, None
        if running is not None:
            with contextlib.suppress(OSError):
                running.stop()


def _composed(value: object) -> tuple[str, dict[str, Any]] | None:
    """`render_lock`'s compose result as the resolver hands it back (an object), or None when it did not run."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict):  # noqa: PLR2004
        return value[0], value[1]
    return None


def _export_memo(ctx: Context) -> tuple[Path, tuple[str, ...]]:
    """Where resolutions keep their exports, and the uv configuration files those read (resolvers.uv_export_cache)."""
    from corral.resolvers.uv_export_cache import FOLDER
    from corral.services.lock_stamp import uv_config_files

    return ctx.paths.cache / FOLDER, tuple(uv_config_files(ctx.environ))


def _declarations(data: Mapping[str, Any], *, source: str = "pyproject.toml") -> ProjectDeps:
    """core.deps.ProjectDeps of `data`: every requirement read and checked (imported here: packaging's parsers)."""
    from corral.core.deps import ProjectDeps

    return ProjectDeps.from_pyproject(data, source=source)


def _imports_after_resolving(*, install: bool = False) -> None:
    """Import what a lock needs once uv has resolved (the exports' reader, the stamp, the next sync's choice).

    Run while `uv lock` runs, when this process has nothing else to do (~50 ms on a loaded 2-core machine).
    `install`: also what installing the lock into the env imports (add, remove: `services.sync.apply.apply_lock`).
    """
    import concurrent.futures.thread  # noqa: F401 - imported for later
    import secrets  # noqa: F401 - imported for later

    import corral.core.selection
    import corral.core.uv_export_read
    import corral.doctor.drift  # the next sync's choice reads the env's last selection through it
    import corral.services.sync.apply
    import corral.services.sync.selection_cache

    if install:
        import tempfile  # noqa: F401 - imported for later

        import corral.core.plan
        import corral.engines.uv
        import corral.services.cache_auto
        import corral.services.inspection  # noqa: F401 - imported for later


def _note_ignored(environ: Mapping[str, str], progress: Progress) -> None:
    """Say which of uv's variables that are set the lock does not take (infra.environ.RESOLVER_IGNORED), and why."""
    from corral.infra.environ import RESOLVER_IGNORED

    for name, why in RESOLVER_IGNORED.items():
        if environ.get(name):
            progress("note", f"{name} is not used for the lock: {why}")


def _pins(
    previous: Path | None,
    prefer: Mapping[str, str] | None,
    index: str,
    *,
    project_root: Path | None = None,
    progress: Progress | None = None,
) -> list[tuple[str, str, str]]:
    """(name, version, index) of the previous lock's registry packages, `prefer` (adopt) replacing or adding pins.

    With no previous lock, those of the project's uv.lock (`services.uv_lock_pins`): a first lock keeps the
    versions its maintainers locked with uv, as `uv lock` would (`progress` hears how many).
    """
    packages: list[Any] = []
    if (previous is None or not previous.exists()) and project_root is not None:
        from corral.services.uv_lock_pins import UV_LOCK, registry_pins

        packages = registry_pins(project_root)
        if packages and progress is not None:
            shown = f"{len(packages)} version{'s' if len(packages) != 1 else ''}"
            progress("note", f"no pylock.toml yet: uv prefers the {shown} {UV_LOCK} pins where the requirements allow")
    elif previous is not None and previous.is_file():
        try:
            refuse_damaged_lock(previous)
            text = read_text(previous)
            scanned = _scanned(text)  # corral's own layout (index packages only): no parse, no check
            packages = (
                [{"name": p.name, "version": p.version, "index": p.index_url} for p in scanned.packages]
                if scanned is not None
                else checked_lock(text, origin=str(previous)).get("packages", [])
            )
        except (LockError, ConfigError) as err:
            packages = []  # a damaged previous lock only costs the kept pins: said, not silent
            if progress is not None:
                why = str(err).split("; pylock.toml looks damaged", 1)[0]
                progress("note", f"the old {previous.name} cannot be read, so its versions are not kept ({why})")
    return _kept_pins(packages, prefer, index)


def _kept_pins(
    packages: Iterable[Mapping[str, Any]], prefer: Mapping[str, str] | None, index: str
) -> list[tuple[str, str, str]]:
    """`_pins` of a lock's packages (its registry ones: a name, version and index each)."""
    wanted = {normalize_name(n): (n, v) for n, v in (prefer or {}).items()}
    pins = [
        (p["name"], p["version"], p["index"])
        for p in packages
        if all(isinstance(p.get(k), str) for k in ("name", "version", "index"))
        and normalize_name(p["name"]) not in wanted
    ]
    return pins + [(n, v, index) for n, v in wanted.values()]


def locked_versions(lock_path: Path | None) -> dict[str, set[str]]:
    """Name -> versions of the lock at `lock_path` ({} when there is none)."""
    if lock_path is None or not lock_path.is_file():
        return {}
    text = read_text(lock_path)
    found = _scanned(text)
    if found is None:
        return _by_name(checked_lock(text, origin=str(lock_path)).get("packages", []))
    out: dict[str, set[str]] = {}
    for package in found.packages:  # names normalized, each an index package with its version
        out.setdefault(package.name, set()).add(package.version)
    return out


_SCANNED: dict[str, ScannedLock | None] = {}  # the last lock text `_scanned` read


def _scanned(text: str) -> ScannedLock | None:
    """`core.pylock_scan.scan` of a lock text, once per text; None: not corral's own layout (parse and check it).

    ~15 ms for the data stack's 1.1 MB lock against ~75 ms parsed and checked; a lock it reads passes `check_lock`.
    """
    if text not in _SCANNED:
        from corral.core.pylock_scan import scan

        _SCANNED.clear()
        _SCANNED[text] = scan(text)
    return _SCANNED[text]


def text_versions(text: str) -> dict[str, set[str]]:
    """Name -> versions of a lock's text; {} for a damaged lock (the one `corral lock` is replacing)."""
    try:
        packages = checked_lock(text, origin=LOCK_FILE).get("packages", [])
    except (ConfigError, LockError):
        return {}
    return _by_name(packages)


# The checked data of the last lock texts seen: a lock is parsed and checked once per content, whoever asks in
# this process (the previous lock's pins and versions; the new lock's versions and stamp; add's diff). Keyed by
# the whole text, so no other content can be answered; the values are shared: callers only read them.
_CHECKED: dict[str, dict[str, Any]] = {}
_CHECKED_KEEP = 4


def checked_lock(text: str, *, origin: str) -> dict[str, Any]:
    """The parsed data of a lock's `text`, through check_lock (ConfigError / LockError naming `origin`); read only."""
    found = _CHECKED.get(text)
    if found is None:
        from corral.core.pylock_read import read_canonical  # corral's own layout: ~5x faster than tomllib, same data

        parsed = read_canonical(text)
        found = check_lock(parsed if parsed is not None else parse_toml(text, origin=origin), origin=origin)
        _remember(text, found)
    return found


def _remember(text: str, data: dict[str, Any]) -> None:
    _CHECKED.pop(text, None)
    _CHECKED[text] = data
    while len(_CHECKED) > _CHECKED_KEEP:
        del _CHECKED[next(iter(_CHECKED))]


def _by_name(packages: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Name -> versions; a source tree, which has no version in a lock, shows as `@ PATH`."""
    out: dict[str, set[str]] = {}
    for package in packages:
        version = package.get("version")
        if version is None and isinstance(package.get("directory"), dict):
            version = f"@ {package['directory'].get('path', '')}"
        out.setdefault(normalize_name(package["name"]), set()).add(str(version or ""))
    return out


def diff_versions(old: Mapping[str, set[str]], new: Mapping[str, set[str]]) -> tuple[list[Any], list[Any], list[Any]]:
    """(added, removed, updated) between two name -> versions maps."""
    added = [(n, ", ".join(sorted(new[n]))) for n in sorted(set(new) - set(old))]
    removed = [(n, ", ".join(sorted(old[n]))) for n in sorted(set(old) - set(new))]
    updated = [
        (n, ", ".join(sorted(old[n])), ", ".join(sorted(new[n])))
        for n in sorted(set(old) & set(new))
        if old[n] != new[n]
    ]
    return added, removed, updated


# ---------------------------------------------------------------- commands


def lock(
    ctx: Context,
    *,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    check: bool = False,
    pyproject_path: Path | None = None,
    lock_path: Path | None = None,
    progress: Progress | None = None,
) -> LockReport:
    """Resolve and write pylock.toml (kept pins unless upgrading); `check` raises LockOutdated when stale."""
    from corral.infra.fs import atomic_write_text
    from corral.services.transaction import project_lock

    started = time.monotonic()
    project = ctx.require_project()
    pyproject = pyproject_path or project.pyproject
    target = lock_path or project.root / LOCK_FILE
    _refuse_unusable(target, project.root)
    if check:
        data = read_toml(pyproject)
        _declarations(data, source=str(pyproject))
        if not target.is_file():
            raise LockOutdated(f"{target} does not exist; run `corral lock`")
        if stored_inputs_hash(read_text(target)) != lock_inputs_hash(ctx, data):
            raise LockOutdated(f"{target} is stale: {_what_changed(data, target)}; run `corral lock`")
        # The fingerprint covers the declarations only: resolve again below (pins kept, nothing written) so a
        # hand-edited or damaged lock, a changed [tool.uv] resolver setting or another Python is not called up to date.
        checked_lock(read_text(target), origin=str(target))
    with project_lock(project.root):
        settings = plan_settings(ctx)  # before the index and the interpreter are chosen from them
        data = read_toml(pyproject)
        if not check:
            _refuse_unknown_upgrades(data, target, upgrade_packages, source=str(pyproject))
        python, from_env = _recorded_choice(ctx, pyproject) or _python_choice(ctx)
        old_bytes = read_bytes(target) if target.is_file() else None
        old_text = old_bytes.decode("utf-8", errors="replace") if old_bytes is not None else None
        resolve = partial(render_lock, ctx, data, project_root=project.root, source=str(pyproject), previous=target)
        plain = not (check or upgrade or upgrade_packages)
        kept = _kept_offline(ctx, data, old_text, resolve, python, progress) if plain else None
        own = pyproject == project.pyproject and target == project.root / LOCK_FILE
        resolved: list[tuple[Plan, bytes]] = []  # the plan and the pyproject.toml it was for (`_remember_plan`)
        text = kept or resolve(
            upgrade=upgrade and not check,
            upgrade_packages=() if check else upgrade_packages,
            progress=progress,
            python=python,
            on_resolved=(
                partial(_remember_plan, ctx, pyproject, old_bytes, settings, resolved) if plain and own else None
            ),
        )
        if check:
            if text != old_text:
                raise LockOutdated(
                    f"{target} is stale: resolving the project now gives a different lock; run `corral lock`"
                )
            count = sum(len(v) for v in locked_versions(target).values())
            return LockReport(path=target, written=False, packages=count, seconds=time.monotonic() - started)
        written = text != old_text
        if written:
            atomic_write_text(target, text, root=project.root)
        if own:
            if resolved and not kept:
                remember_upcoming(
                    ctx,
                    pyproject_bytes=resolved[0][1],
                    text=text,
                    data=data,
                    plan=resolved[0][0],
                    settings=settings,
                )
            _stamp(ctx, data, text, python=python, from_env=from_env)
            _prime_selection(ctx, target, text, python=python)
            _remember_fresh(ctx, pyproject, target)
    new = text_versions(text)
    added, removed, updated = diff_versions(text_versions(old_text) if old_text else {}, new)
    return LockReport(
        path=target,
        written=written,
        packages=sum(len(v) for v in new.values()),
        added=added,
        removed=removed,
        updated=updated,
        seconds=time.monotonic() - started,
    )


def _kept_offline(
    ctx: Context,
    data: Mapping[str, Any],
    old_text: str | None,
    resolve: Callable[..., str],
    python: str | None,
    progress: Progress | None,
) -> str | None:
    """`old_text` when resolving the project again from uv's cache alone gives exactly it, else None (resolve online).

    For a lock that declares the inputs it was made from (its inputs-hash) and no stamp vouches for: a fresh clone,
    a new commit that moves a dynamic version, another corral. The same resolution as online (every pin kept, the
    interpreter, the version, uv's settings), with `--offline`: uv answers from the index pages it cached, or fails.
    Equal to the byte, the lock is what `corral lock` would keep; as `uv lock` with a satisfied uv.lock, the index is
    not asked again for files a pinned release gained since (`--upgrade` does). Anything else, and any failure
    (a cache without those pages), is None: the online resolution decides, as before.
    """
    if old_text is None or stored_inputs_hash(old_text) != lock_inputs_hash(ctx, data):
        return None
    from corral.resolvers.uv import CacheUnanswered
    from corral.services.legacy import legacy_lock_interpreter

    if legacy_lock_interpreter(ctx, python) is not None:
        return None  # pip-tools resolves for one environment, online: once is enough
    try:
        text = resolve(python=python, offline=True, progress=progress)  # render_lock, as online it is asked
    except CacheUnanswered:
        return None
    return text if text == old_text else None


def plan_settings(ctx: Context) -> str:
    """The digest of the settings that choose a plain lock's index URLs and interpreter (`uv_headstart`'s)."""
    from corral.resolvers.uv_headstart import settings_digest

    return settings_digest(str(ctx.require_project().root), str(ctx.paths.user_config_file), ctx.environ)


def _remember_plan(
    ctx: Context,
    pyproject: Path,
    lock_bytes: bytes | None,
    settings: str,
    resolved: list[tuple[Plan, bytes]],
    plan: Plan,
) -> None:
    """Record what `uv lock` was given, for the next plain lock's head start (resolvers.uv_headstart); never fails.

    `settings`: `plan_settings` as the lock began; none is recorded when they moved since (the plan may be the old
    ones'). `resolved` is given the plan and the bytes of pyproject.toml it was recorded for (`remember_upcoming`'s).
    """
    import contextlib

    from corral.resolvers import uv_headstart

    with contextlib.suppress(CorralError, OSError):
        if plan_settings(ctx) != settings:
            return
        pyproject_bytes = read_bytes(pyproject)
        resolved.append((plan, pyproject_bytes))
        uv_headstart.remember(
            str(ctx.paths.cache),
            str(ctx.require_project().root),
            pyproject_bytes=pyproject_bytes,
            lock_bytes=lock_bytes,
            settings=settings,
            plan=plan,
        )


def remember_upcoming(
    ctx: Context, *, pyproject_bytes: bytes, text: str, data: Mapping[str, Any], plan: Plan, settings: str
) -> None:
    """Record the plan a lock of the project as just committed would give uv; never fails (only a head start's).

    `pyproject_bytes` and the lock `text` are the files just written, resolved from `data` with `plan` (a plain one:
    no `--upgrade-package`, not offline) under `settings` (`plan_settings` as the change began: nothing is recorded
    when they moved since, the plan may be the old ones'). A lock of them gives uv the same temporary project and
    argv, with the preferences of `text` (`_pins` of it as the previous lock, `resolvers.uv_project.preferences`): what
    `corral add`'s head start begins from (resolvers.uv_headstart's upcoming record, `cli.lock_quick.add_head_start`).
    """
    import contextlib

    from corral.resolvers import uv_headstart
    from corral.resolvers.uv_project import preferences

    project_text, _, argv = plan
    if "--upgrade-package" in argv or "--offline" in argv:
        return
    with contextlib.suppress(CorralError, OSError):
        if plan_settings(ctx) != settings:
            return
        declared = data.get("project")
        requires_python = declared.get("requires-python") if isinstance(declared, dict) else None
        pins = _kept_pins(_registry_packages(text), None, "")
        uv_headstart.remember(
            str(ctx.paths.cache),
            str(ctx.require_project().root),
            pyproject_bytes=pyproject_bytes,
            lock_bytes=text.encode("utf-8"),
            settings=settings,
            plan=(
                project_text,
                preferences(pins, set(), requires_python if isinstance(requires_python, str) else None),
                argv,
            ),
            upcoming=True,
        )


def _registry_packages(text: str) -> list[Mapping[str, Any]]:
    """A lock text's packages as `_pins` reads them when it is the previous lock: checked already, or scanned.

    The checked data (a lock this process composed or read: no scan) holds the very packages a scan of the text
    gives, in its order, with the same name, version and index strings, when the scan can read it; else `_pins`
    reads that data itself.
    """
    checked = _CHECKED.get(text)
    if checked is None:
        scanned = _scanned(text)
        if scanned is not None:
            return [{"name": p.name, "version": p.version, "index": p.index_url} for p in scanned.packages]
        checked = checked_lock(text, origin=LOCK_FILE)
    packages = checked.get("packages", [])
    return packages if isinstance(packages, list) else []


def _prime_selection(ctx: Context, lock_path: Path, text: str, *, python: str | None) -> None:
    """The next `corral sync`'s choice of files from this lock, answered now (services.sync.selection_cache.prime).

    For the interpreter the lock was resolved with (the env's, or the one a new env gets) and the selections a sync
    takes: the lock's default groups and the env's last selection. A 1 MB lock is not parsed again by that sync.
    """
    if python is None:
        return
    from corral.core.selection import Selection
    from corral.errors import CorralError
    from corral.services.sync.apply import last_selection, stamp_key
    from corral.services.sync.selection_cache import prime

    project = ctx.require_project()
    try:
        target = ctx.finder.from_path(Path(python))
        last = last_selection(project.env_path, checked_lock(text, origin=str(lock_path)))
        selections = {stamp_key(s): s for s in (Selection(), last)}
    except (CorralError, OSError):
        return
    prime(
        text,
        lock_path,
        target=target,
        selections=[(s, k) for k, s in selections.items()],
        cache_dir=ctx.paths.cache / "lock-choices",
    )


def _remember_fresh(ctx: Context, pyproject: Path, lock_path: Path) -> None:
    """The next `corral sync`'s check that this lock is fresh, answered now (services.sync.apply.remember_fresh_lock).

    That sync then finds the memo instead of importing this module (packaging's markers and specifiers) to compare
    the same inputs-hash: ~50 ms of a new env's first sync after `corral lock` (155 ms at load 8).
    """
    from corral.services.sync.apply import remember_fresh_lock

    remember_fresh_lock(ctx, pyproject, lock_path)


def _refuse_unusable(target: Path, root: Path) -> None:
    """Refuse a lock that no `corral lock` may use, before any work and with `--check` or not.

    A link leading out of the project (README: writes stay in the project) is a SafetyRefusal; a lock that is no
    regular file (a fifo is never waited on, a folder never replaced) is safe_read's UnreadableFile naming it.
    """
    import os

    from corral.infra.fs import resolve_write_target
    from corral.infra.safe_read import read_small

    real = resolve_write_target(target, root)
    if os.path.lexists(real) and not os.path.isfile(real):
        read_small(real, limit=0, what=LOCK_FILE)  # stats first, never opens it: raises for what is not a file


def _stamp(ctx: Context, data: Mapping[str, Any], text: str, *, python: str | None, from_env: bool) -> None:
    """Record what this lock was resolved from, so `corral lock` with nothing changed answers from the record."""
    from corral.core.lock_view import view_digest
    from corral.services import lock_stamp
    from corral.services.project_version import read_state, version_files

    project = ctx.require_project()
    packages = checked_lock(text, origin=LOCK_FILE).get("packages", [])
    local = sorted(
        {
            str(table["path"])
            for p in packages
            for key in ("directory", "archive", "sdist")
            if isinstance(table := p.get(key), dict) and isinstance(table.get("path"), str)
        }
    )
    own = normalize_name(str((data.get("project") or {}).get("name", "")))
    depended_on = any(
        normalize_name(str(d.get("name", ""))) == own
        for p in packages
        for d in p.get("dependencies", [])
        if isinstance(d, dict)
    )
    declared = (data.get("project") or {}).get("dynamic")
    dynamic = isinstance(declared, list) and "version" in declared
    # the version reaches the resolution only when a locked package depends on the project
    files = (
        [str(p.relative_to(project.root)) for p in version_files(project.root, data)]
        if depended_on and dynamic
        else None
    )
    trusted = lock_stamp.env_trusted(ctx.paths, project.env_path) if from_env else None
    if (from_env and trusted is not True) or (not from_env and (project.env_path / "pyvenv.cfg").exists()):
        return  # an env corral may come to vouch for (or stop): the next lock chooses its python again
    inputs = lock_stamp.stamp_inputs(
        root=project.root,
        pyproject=project.pyproject,
        lock_path=project.root / LOCK_FILE,
        env=project.env_path,
        python=python,
        from_env=from_env,
        user_config=ctx.paths.user_config_file,
        environ=ctx.environ,
        version=(files is not None and read_state(project.root, files))
        or lock_stamp.version_inputs(project.root, files),
        local_paths=local,
        trusted=trusted,
    )
    reaches = files is not None
    view = lock_stamp.pyproject_view(project.pyproject, inputs["pyproject"] or "", version_reaches_lock=reaches)
    if view is None or view != view_digest(dict(data), version_reaches_lock=reaches):
        return  # pyproject.toml is not what was locked (edited meanwhile, or add's data): the next lock resolves
    lock_stamp.write_lock_stamp(
        ctx.paths,
        project.root,
        inputs=inputs,
        python=python,
        from_env=from_env,
        version_files=files,
        local_paths=local,
        packages=sum(len(v) for v in _by_name(packages).values()),
        view=view,
    )


def _refuse_unknown_upgrades(data: Mapping[str, Any], lock_path: Path, names: Sequence[str], *, source: str) -> None:
    """`--upgrade-package NAME` must name a locked or declared package: a typo would otherwise upgrade nothing."""
    if not names:
        return
    from corral.errors import UsageError

    known = set(locked_versions(lock_path)) if lock_path.is_file() else set()
    declared = _declarations(data, source=source).all_requirements()
    known |= {n for _, r in declared if (n := requirement_name(r))}
    unknown = [n for n in names if normalize_name(n) not in known]
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        msg = (
            f"--upgrade-package {listed}: no such package in {lock_path.name} or pyproject.toml, so there is "
            "no pin to release; check the spelling (`corral tree` lists the locked packages)"
        )
        raise UsageError(msg)


def _what_changed(data: Mapping[str, Any], lock_path: Path) -> str:
    deps = _declarations(data)
    locked = locked_versions(lock_path)
    missing = sorted({n for _, r in deps.all_requirements() if (n := requirement_name(r)) and n not in locked})
    lock_data = checked_lock(read_text(lock_path), origin=str(lock_path))
    notes = []
    if missing:
        notes.append("not in the lock: " + ", ".join(missing))
    if sorted(lock_data.get("dependency-groups", [])) != deps.group_names:
        notes.append("dependency groups changed")
    if sorted(lock_data.get("extras", [])) != deps.extra_names:
        notes.append("extras changed")
    return "; ".join(notes) or "pyproject.toml's requirements, requires-python or index settings changed"


_WRITTEN_BY_CORRAL = '\ncreated-by = "corral"\n'  # core.pylock_write's header line


def refuse_damaged_lock(path: Path) -> None:
    """LockError when the lock at `path` lost corral's inputs-hash because it is damaged (not TOML, not a lock).

    A truncated or emptied pylock.toml (an interrupted copy, a full disk, a bad merge) was taken for a stale one
    and resolved anew: every pin lost and the env upgraded, with a note blaming pyproject.toml. A lock that parses
    but carries no hash (written by another tool) is stale in the ordinary way.
    """
    text = read_text(path)
    if stored_inputs_hash(text) is not None:
        return
    if _WRITTEN_BY_CORRAL in text:  # corral writes its inputs-hash last: cut at a line, a lock of corral's lost it
        msg = (
            f"{path}: written by corral, but its [tool.corral] inputs-hash (the last line corral writes) is gone; "
            f"{path.name} looks damaged (cut short?): restore it (`git checkout -- {path.name}`), or delete it and "
            "run `corral lock` to resolve anew; nothing was changed"
        )
        raise LockError(msg)
    try:
        data = parse_toml(text, origin=str(path))
        problem = None if "lock-version" in data else f"{path}: no lock-version"
        if problem is None:
            check_lock(data, origin=str(path))
    except (ConfigError, LockError) as err:
        problem = str(err).split("; run `corral lock`", 1)[0].split("; fix the file", 1)[0]
    if problem is not None:
        msg = (
            f"{problem}; {path.name} looks damaged (an interrupted copy, a full disk, a bad merge?): restore it "
            f"(`git checkout -- {path.name}`), or delete it and run `corral lock` to resolve anew; nothing was changed"
        )
        raise LockError(msg)


def refuse_undeclared_environment(ctx: Context, data: Mapping[str, Any], source: str) -> None:
    """LockError when the project's `[tool.uv] environments` names none the interpreter corral would use is in.

    The lock then holds nothing for it: a sync made an empty env and said it matched, where `uv sync` refuses.
    """
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    wanted = uv.get("environments") if isinstance(uv, dict) else None
    wanted = [wanted] if isinstance(wanted, str) else wanted  # uv takes one marker as a string too
    if not isinstance(wanted, list) or not wanted or not all(isinstance(m, str) for m in wanted):
        return
    from corral.services.lock_inputs import uv_reads_settings

    if not uv_reads_settings(ctx.environ):
        return  # uv resolved for every environment: the lock holds this one too
    from packaging.markers import InvalidMarker, Marker

    python = lock_python(ctx)
    info = ctx.finder.from_path(Path(python)) if python else None
    try:
        if info is None or any(Marker(m).evaluate(dict(info.marker_env)) for m in wanted):
            return
    except InvalidMarker:
        return  # uv names the bad marker when it locks
    msg = (
        f"{source}: [tool.uv] environments ({' or '.join(wanted)}) does not include {info.implementation} "
        f"{info.version} ({info.path}): the lock holds nothing for it; pick a Python it names (corral python pin "
        "VERSION), or widen environments"
    )
    raise LockError(msg)


def ensure_lock(ctx: Context, *, frozen: bool, locked: bool, progress: Progress | None = None) -> Path:
    """The lock path, re-locked first when missing or stale (unless `frozen`: as is; `locked`: LockOutdated).

    `progress` hears the lock's notes (what the caller's user must know of the lock it did not ask for), no more.
    """
    import os

    project = ctx.require_project()
    target = project.root / LOCK_FILE
    if os.path.lexists(target) and not os.path.isfile(target):
        _refuse_unusable(target, project.root)  # a fifo or a folder is named as such, not as a missing lock
    refuse_undeclared_environment(ctx, project.data, str(project.pyproject))
    if frozen:
        if not target.is_file():
            raise LockError(f"--frozen needs {target}, which does not exist; run `corral lock` first")
        return target
    mismatch = None
    if target.is_file() and not locked:
        refuse_damaged_lock(target)
    if is_fresh(project, target, ctx=ctx):
        from corral.services.legacy import environment_mismatch

        mismatch = environment_mismatch(ctx, target)  # a 2.7 lock holds for one environment only
        if mismatch is None:
            return target
    if locked:
        if not target.is_file():
            raise LockOutdated(f"--locked: {target} does not exist; run `corral lock`")
        why = mismatch or f"is stale: {_what_changed(project.data, target)}"
        raise LockOutdated(f"--locked: {target} {why}; run `corral lock`")
    notes = None if progress is None else (lambda kind, text: progress(kind, text) if kind == "note" else None)
    lock(ctx, progress=notes)
    return target
