"""`corral adopt`: record what was installed into the project's env by hand (`pip install X`), keeping the env as is.

The rule (README, "Recording what you installed by hand"): of the distributions the env holds that the lock lacks
or pins at another version,
- one that nothing else installed requires is the user's own choice: it goes into `[project].dependencies` as
  `name>=installed` (`name==installed` for a local version like `1.0+cpu`, which `>=` cannot name); one installed
  from a folder, a file, a VCS checkout or a URL (its PEP 610 `direct_url.json`) as that source (`core.direct_url`:
  a `[tool.uv.sources]` path, editable as installed; `name @ git+URL@COMMIT`; `name @ URL`), not as the index's
  release of its name;
- one that another installed distribution requires (requests' certifi, idna, urllib3, ...) goes into the lock only;
- one already declared keeps its declaration when that admits the installed version, else the declaration, where
  it is, gets `>=installed` (extras and marker kept).
Every one of them is locked at the installed version when the requirements allow it (uv's preferences), so adopting
changes the record, not the env. A project without pylock.toml is locked first.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.lock_fingerprint import LOCK_FILE
from corral.core.names import normalize_name
from corral.errors import EnvError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from corral.core.direct_url import DirectOrigin
    from corral.core.local_paths import PathSource
    from corral.doctor.target import Target
    from corral.services.context import Context

__all__ = ["AdoptReport", "adopt", "requirement_for"]


@dataclass(frozen=True, kw_only=True, slots=True)
class AdoptReport:
    """What adopt recorded where, what it kept in the lock only, and what the lock and env did."""

    recorded: dict[str, list[str]] = field(default_factory=dict)  # target -> requirements written
    sources: dict[str, PathSource] = field(default_factory=dict)  # name -> local path recorded in [tool.uv.sources]
    lock_only: list[tuple[str, str]] = field(default_factory=list)  # (name, installed version)
    locked_first: bool = False
    dry_run: bool = False
    change: dict[str, Any] = field(default_factory=dict)  # the ChangeReport of the record + lock + install

    @property
    def nothing(self) -> bool:
        """Every installed distribution was already in the lock at its version."""
        return not self.recorded and not self.lock_only

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "recorded": self.recorded,
            "sources": {name: source._asdict() for name, source in self.sources.items()},
            "lock_only": [{"name": n, "version": v} for n, v in self.lock_only],
            "locked_first": self.locked_first,
            "dry_run": self.dry_run,
            "change": self.change,
        }


def requirement_for(name: str, version: str) -> str:
    """`name>=version`; `name==version` for a local version (`1.0+cpu`), which only `==` can name (PEP 440)."""
    return f"{name}{_floor(version)}"


def _floor(version: str) -> str:
    if version == "?":  # metadata without a version: record the name, the lock says which one
        return ""
    return f"=={version}" if "+" in version else f">={version}"


def adopt(
    ctx: Context,
    *,
    dry_run: bool = False,
    engine: str | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> AdoptReport:
    """Record the env's hand-installed distributions (see the module docstring for the rule); lock first if needed.

    Raises:
        EnvError: the env and the lock cannot be compared (no interpreter for the env).

    """
    from corral.services.doctor import make_target

    project = ctx.require_project()
    target = make_target(ctx, None)
    lock_path = project.root / LOCK_FILE
    locked_first = not lock_path.is_file()
    with tempfile.TemporaryDirectory(prefix="corral-adopt-") as scratch:
        if locked_first:  # into the scratch folder: the project's is written with the record, or not at all
            lock_path = _first_lock(ctx, Path(scratch), progress)
        recorded, lock_only, prefer, sources = _plan(ctx, target, lock_path)
    report = AdoptReport(
        recorded=recorded, sources=sources, lock_only=lock_only, locked_first=locked_first, dry_run=dry_run
    )
    if report.nothing and locked_first and not dry_run:
        _first_lock(ctx, None, progress)  # nothing to record: the lock of the project as it is
    if dry_run or report.nothing:
        return report
    from corral.services.add_remove import record

    change = record(ctx, recorded, prefer=prefer, engine=engine, progress=progress, sources=sources)
    return replace(report, change=change.to_dict())


def _first_lock(ctx: Context, scratch: Path | None, progress: Callable[[str, str], None] | None) -> Path:
    """Lock the project as it is (`corral lock`); for a dry run, into `scratch` instead of the project."""
    from corral.services.lock import lock, render_lock

    project = ctx.require_project()
    if scratch is None:
        if progress:
            progress("locking", "no pylock.toml yet: locking the project as it is first")
        return lock(ctx, progress=progress).path
    text = render_lock(ctx, project.data, project_root=project.root, source=str(project.pyproject))
    path = scratch / LOCK_FILE
    path.write_text(text, encoding="utf-8")
    return path


def _plan(
    ctx: Context, target: Target, lock_path: Path
) -> tuple[dict[str, list[str]], list[tuple[str, str]], dict[str, str], dict[str, PathSource]]:
    """(target -> requirements to record, (name, version) locked only, name -> installed version to lock, sources).

    Raises:
        EnvError: the env cannot be compared with the lock, or a distribution to record was installed from a local
            path that is gone (it cannot be locked from there, and the index's release of its name is another).

    """
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    from corral.core.deps import ProjectDeps
    from corral.doctor.drift import lock_drift

    drift = lock_drift(target, lock_path)
    if drift is None:
        msg = (
            f"cannot compare {target.root} with {lock_path.name}: the env's interpreter is missing or does not "
            "start; run `corral doctor` for the fix"
        )
        raise EnvError(msg)
    _, extra, other = drift
    changed = {normalize_name(n): (n, v) for n, v in extra} | {normalize_name(n): (n, i) for n, i, _ in other}
    project = ctx.require_project()
    declared: dict[str, list[tuple[str, Requirement]]] = {}
    for where, text in ProjectDeps.from_pyproject(project.data, source=str(project.pyproject)).all_requirements():
        requirement = Requirement(text)
        declared.setdefault(normalize_name(requirement.name), []).append((where, requirement))
    required = _required(target, set(changed), extras_asked=[r for rs in declared.values() for _, r in rs])
    recorded: dict[str, list[str]] = {}
    lock_only: list[tuple[str, str]] = []
    origins = _origins(target, project.root, {k: n for k, (n, _) in changed.items()}, declared)
    for key, (name, version) in sorted(changed.items()):
        origin = origins.get(key)
        if key in declared:
            refused = [(w, r) for w, r in declared[key] if not r.specifier.contains(version, prereleases=True)]
            for where, requirement in refused:  # the declaration, where it is, admits what is installed
                requirement.specifier = SpecifierSet(_floor(version))
                recorded.setdefault(where, []).append(str(requirement))
            if not refused:
                lock_only.append((name, version))
        elif key in required and origin is None:
            lock_only.append((name, version))
        else:  # the user's own choice, or a dependency installed from a folder, VCS or URL (a source needs a name)
            recorded.setdefault("project", []).append(origin.requirement if origin else requirement_for(name, version))
    prefer = {name: version for name, version in changed.values() if version != "?"}
    sources = {names: o.source for names, o in ((changed[k][0], o) for k, o in origins.items()) if o.source}
    return recorded, lock_only, prefer, sources


def _origins(
    target: Target, root: Path, names: Mapping[str, str], declared: Mapping[str, list[tuple[str, Any]]]
) -> dict[str, DirectOrigin]:
    """{key: how to record it} of `names` (key -> name) installed from a folder, file, VCS or URL.

    From each one's PEP 610 `direct_url.json` (`core.direct_url`), or the folder its `*.egg-link` names (pip's
    editable install on Python 2.7 writes no `direct_url.json`).

    Raises:
        EnvError: one was installed from a local path that no longer exists, from a source no record can name
            (`direct_url.json` unreadable or of a shape corral does not record), or a declared one from a VCS or
            URL (its declaration would have to change: left to the user).

    """
    from corral.core.direct_url import DirectOrigin
    from corral.core.env import Env
    from corral.core.local_paths import PathSource, relative_to_folder
    from corral.services.inspection import direct_urls, egg_link_folder

    site = Env.at(target.root, windows=target.layout.windows).site_packages()
    records = direct_urls(site, set(names))
    found = {}
    for key, name in names.items():
        if key not in records:
            folder = egg_link_folder(site, key)
            if folder is None:
                continue  # from an index (or an installer before PEP 610): name>=version
            origin = DirectOrigin(name, PathSource(relative_to_folder(folder, root), editable=True), folder)
        else:
            origin = _recorded_origin(name, records[key], root)
        if origin.local is not None and not Path(origin.local).exists():
            msg = (
                f"{name} was installed from {origin.local}, which no longer exists: it cannot be locked from "
                f"there, and the index's {name} may be another package; install it again from where it is "
                "now, or run `corral sync` to remove it; nothing was changed"
            )
            raise EnvError(msg)
        if key in declared and origin.source is None:
            where = origin.requirement.split(" @ ", 1)[1]
            raise EnvError(_unrecordable(name, f"it is declared as {declared[key][0][1]} but installed from {where}"))
        found[key] = origin
    return found


def _recorded_origin(name: str, data: Mapping[str, Any] | None, root: Path) -> DirectOrigin:
    """`core.direct_url.origin_of`, or EnvError saying why the record (None: unreadable) names no source to record."""
    from corral.core.direct_url import Unrecordable, origin_of

    if data is None:
        raise EnvError(_unrecordable(name, "its direct_url.json cannot be read (a link, a special file, or damaged)"))
    try:
        return origin_of(name, data, root)
    except Unrecordable as err:
        raise EnvError(_unrecordable(name, str(err))) from err


def _unrecordable(name: str, why: str) -> str:
    return (
        f"cannot adopt {name}: it did not come from an index, and {why}; record its source yourself "
        "([tool.uv.sources] or `name @ URL` in pyproject.toml), or run `corral sync` to install what the lock holds "
        "instead; nothing was changed"
    )


def _required(target: Target, changed: set[str], *, extras_asked: list[Any]) -> set[str]:
    """Which of `changed` another installed distribution needs: required, or reached only through a cycle of them.

    A name required only by hand-installed distributions that nothing requires in turn is still required: it is
    reached from what will be recorded. A cycle among hand-installed ones is broken by recording its members.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    from corral.core.env import Env
    from corral.core.interpreter import InterpreterInfo
    from corral.services.inspection import distribution_requires

    identity = target.base_identity
    environment = dict(InterpreterInfo.from_probe(identity, path=str(target.python)).marker_env) if identity else {}
    site = Env.at(target.root, windows=target.layout.windows).site_packages()
    requires = {normalize_name(n): rs for n, rs in distribution_requires(site).items()}
    parsed: dict[str, list[Requirement]] = {}
    for owner, texts in requires.items():
        for text in texts:
            with contextlib.suppress(InvalidRequirement):  # a broken Requires-Dist line is no edge
                parsed.setdefault(owner, []).append(Requirement(text))
    asked: dict[str, set[str]] = {}  # name -> the extras something asks of it
    for requirement in [*(r for rs in parsed.values() for r in rs), *extras_asked]:
        asked.setdefault(normalize_name(requirement.name), set()).update(requirement.extras)
    edges: dict[str, set[str]] = {
        owner: {normalize_name(r.name) for r in rs if _applies(r, environment, asked.get(owner, set()))}
        for owner, rs in parsed.items()
    }
    needed = {name for owner, names in edges.items() for name in names if name != owner} & changed
    roots = (set(requires) - changed) | (changed - needed)  # the lock's own, and what will be recorded
    reached: set[str] = set()
    stack = list(roots)
    while stack:
        for name in edges.get(stack.pop(), ()):
            if name not in reached:
                reached.add(name)
                stack.append(name)
    return needed & reached


def _applies(requirement: Any, environment: Mapping[str, str], extras: set[str]) -> bool:  # noqa: ANN401
    """The requirement's marker holds in the env for no extra or for one of the `extras` asked of its owner."""
    if requirement.marker is None:
        return True
    from packaging.markers import UndefinedComparison, UndefinedEnvironmentName

    for extra in ("", *sorted(extras)):
        try:
            if requirement.marker.evaluate({**environment, "extra": extra}):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName):  # noqa: PERF203 - a few extras at most
            return True  # a marker we cannot judge: count the dependency (recording less is the safe side)
    return False
