"""Legacy zones: the one-line end-of-life notice (2.7, 3.6, 3.7), and locking for Python 2.7 (uv cannot).

`corral lock` (and everything that locks) asks `legacy_lock_interpreter` first; for a Python below 3.6 the lock
is rendered here by the pip-tools resolver (corral.resolvers.legacy) instead of uv.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.infra.envfiles import read_env
from corral.toolchain.legacy import legacy_notice

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = [
    "env_python_version",
    "environment_mismatch",
    "environment_specific",
    "legacy_lock_interpreter",
    "notice_for_env",
    "render_legacy_lock",
]


def env_python_version(env_path: Path) -> str | None:
    """The base Python version pyvenv.cfg records (venv, uv and virtualenv keys), or None."""
    try:
        return read_env(env_path).version_text
    except OSError:
        return None


def notice_for_env(ctx: Context, env_path: Path) -> str | None:
    """The legacy notice for the env at `env_path` (reads pyvenv.cfg only), or None when not legacy or silenced.

    The `legacy-notice` setting (CORRAL_LEGACY_NOTICE, [tool.corral], user config) set to false silences it.
    """
    version = env_python_version(env_path)
    notice = legacy_notice(version) if version else None
    if notice is None or not ctx.settings.value("legacy-notice"):
        return None
    return notice


# ---------------------------------------------------------------- locking for Python < 3.6 (2.7)


def legacy_lock_interpreter(ctx: Context, python: str | None) -> InterpreterInfo | None:
    """The interpreter `python` when uv cannot lock for it (Python < 3.6), else None (uv locks).

    A project env's pyvenv.cfg answers without starting anything; only a legacy one is probed (cached).
    """
    from corral.resolvers import resolver_for

    if not python:
        return None
    env = Path(python).parent.parent
    recorded = env_python_version(env) if (env / "pyvenv.cfg").is_file() else None
    if recorded is not None:
        from corral.core.pyversion import python_minor

        minor = python_minor(recorded)
        if minor is not None and resolver_for(minor) == "uv":
            return None
    info = ctx.finder.from_path(Path(python))
    return info if resolver_for(info.version_info) != "uv" else None


def environment_mismatch(ctx: Context, lock_path: Path) -> str | None:
    """Why an environment-specific lock (the 2.7 locker's) cannot serve the interpreter corral locks with now.

    None when it can, or when the lock has no `environments` (uv's universal locks: one text scan, nothing parsed).
    """
    wanted = _lock_environments(lock_path)
    if not wanted:
        return None
    from packaging.markers import InvalidMarker, Marker

    from corral.errors import CorralError
    from corral.services.lock import lock_python

    try:
        python = lock_python(ctx)
        info = ctx.finder.from_path(Path(python)) if python else None
        fits = info is None or any(Marker(m).evaluate(dict(info.marker_env)) for m in wanted)
    except (CorralError, InvalidMarker):
        return None  # no interpreter, or a marker the lock's own checks report: nothing to compare here
    if fits or info is None:
        return None
    return f"was locked for {' or '.join(wanted)}, not for {info.implementation} {info.version} ({info.path})"


def environment_specific(lock_path: Path) -> bool:
    """True for a lock that names `environments` (the 2.7 locker's): one text scan, parsed only when it does."""
    return bool(_lock_environments(lock_path))


def _lock_environments(lock_path: Path) -> list[str]:
    from corral.errors import ConfigError
    from corral.infra.toml_file import parse_toml, read_bytes

    try:
        text = read_bytes(lock_path).decode("utf-8", errors="replace")
    except ConfigError:  # missing, unreadable, not a file: no environments (reading the lock names the problem)
        return []
    if "\nenvironments = " not in text:
        return []
    try:
        wanted = parse_toml(text, origin=str(lock_path)).get("environments")
    except ConfigError:
        return []
    return [str(m) for m in wanted] if isinstance(wanted, list) else []


def render_legacy_lock(
    ctx: Context,
    data: Mapping[str, Any],
    *,
    interpreter: InterpreterInfo,
    project_root: Path,
    source: str,
    previous: Path | None,
    upgrade: bool,
    upgrade_packages: Sequence[str],
    candidates: Sequence[str],
    progress: Callable[[str, str], None] | None,
    prefer: Mapping[str, str] | None = None,
) -> str:
    """The pylock.toml text for a Python 2.7 project, resolved by pip-tools in that Python (environment-specific).

    `prefer` (name -> version) wins over the previous lock's pins while the requirements allow it (adopt).
    """
    from corral.core.deps import ProjectDeps
    from corral.core.local_paths import editable_sources, named_absolutely
    from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
    from corral.errors import LockError
    from corral.plugins import load_resolver
    from corral.resolvers.legacy import LegacyRequest, PipToolsResolver
    from corral.resolvers.uv import resolve_failure
    from corral.services.lock import default_groups, index_urls, lock_inputs_hash

    deps = ProjectDeps.from_pyproject(data, source=source)
    requirements = [(("default", ""), r) for r in deps.dependencies]
    requirements += [(("group", g), r) for g in deps.group_names for r in deps.expand_group(g)]
    requirements += [(("extra", e), r) for e in deps.extra_names for r in deps.optional[e]]
    requirements = [(where, with_path_source(r, data, project_root, source)) for where, r in requirements]
    if progress:
        progress(
            "resolving",
            f"{len(requirements)} requirement{'' if len(requirements) == 1 else 's'} with pip-tools"
            f" in Python {interpreter.version} "
            "(uv cannot resolve for Python < 3.6)",
        )
    request = LegacyRequest(
        interpreter=interpreter,
        requirements=requirements,
        index_urls=index_urls(ctx),
        pins=_previous_pins(previous, upgrade=upgrade, skip=upgrade_packages, prefer=prefer),
        project_root=project_root,
        data_dir=ctx.paths.data,
        cache_dir=ctx.paths.cache / "legacy-lock",
        environ=ctx.environ,
        make_env=lambda dest: _make_toolchain_env(ctx, interpreter, dest),
        absolute=frozenset(named_absolutely(data)),
        editable=frozenset(editable_sources(data)),
    )
    try:
        resolver: PipToolsResolver = load_resolver("pip-tools")  # type: ignore[assignment]  # the table row
        result = resolver.resolve(request)
    except LockError as err:
        culprit, reason = resolve_failure(str(err), candidates)
        head = f"cannot add {culprit!r}: " if culprit else "cannot resolve the dependencies: "
        raise LockError(head + reason) from err
    _refuse_missing_urls(requirements, result.exports, source)
    if progress:
        progress(
            "note",
            f"environment-specific lock, resolved by {result.resolved_by}: it installs only there "
            "(`environments` in pylock.toml); lock again on another platform",
        )
    notes = [
        "Environment-specific lock: uv cannot resolve for Python < 3.6, so it was resolved by",
        f"{result.resolved_by}; it installs only where `environments` matches.",
    ]
    doc = LockDocument(
        requires_python=deps.requires_python,
        extras=deps.extra_names,
        dependency_groups=deps.group_names,
        default_groups=default_groups(ctx, deps.group_names),
        packages=merge_exports(result.exports, result.graph),
        inputs_hash=lock_inputs_hash(ctx, data),
        environments=result.environments,
        notes=notes,
    )
    return render_pylock(doc)


def _refuse_missing_urls(
    requirements: Sequence[tuple[object, str]], exports: Sequence[tuple[object, list[dict[str, Any]]]], source: str
) -> None:
    """A requirement given by URL or path (no marker) that the lock does not hold: its files hold another package.

    pip-tools names a package by its metadata: `foo @ file:///lib` whose folder builds `bar` left no `foo` in the
    lock, which held nothing for it (and a sync then emptied the env). uv refuses it alike on Python 3.
    """
    from packaging.requirements import Requirement

    from corral.core.names import normalize_name
    from corral.errors import LockError

    locked = {normalize_name(str(p.get("name", ""))) for _, packages in exports for p in packages}
    for _, text in requirements:
        requirement = Requirement(text)
        if requirement.url and requirement.marker is None and normalize_name(requirement.name) not in locked:
            msg = (
                f"{source}: {requirement.name} @ {requirement.url} was resolved, but the lock holds no "
                f"{requirement.name!r}: the package there has another name; require it by the name its metadata "
                "states"
            )
            raise LockError(msg)


def with_path_source(requirement: str, data: Mapping[str, Any], root: Path, source: str) -> str:
    """`requirement` as pip-tools must be given it: `name @ file:///...` where `[tool.uv.sources]` names its path.

    uv reads the sources itself; pip-tools does not, and would look the package up on the index. A source of
    another kind (git, url, index, workspace) for a required package is refused: this lock cannot honour it.
    """
    from packaging.requirements import Requirement

    from corral.core.names import normalize_name
    from corral.errors import LockError

    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    sources = uv.get("sources") if isinstance(uv, dict) else None
    if not isinstance(sources, dict):
        return requirement
    parsed = Requirement(requirement)
    found = [v for k, v in sources.items() if normalize_name(k) == normalize_name(parsed.name)]
    if not found:
        return requirement
    entry = found[0]
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or parsed.url:
        msg = (
            f"{source}: [tool.uv.sources].{parsed.name} is not a plain `path` source, which a Python 2.7 lock "
            f"(pip-tools) cannot honour; write the requirement as `{parsed.name} @ URL` instead"
        )
        raise LockError(msg)
    parsed.url = (root / entry["path"]).resolve().as_uri()
    parsed.specifier = type(parsed.specifier)("")
    return str(parsed)


def _previous_pins(
    previous: Path | None, *, upgrade: bool, skip: Sequence[str], prefer: Mapping[str, str] | None
) -> dict[str, str]:
    """Versions (name -> version) of the previous lock's index packages (one each), then `prefer` over them."""
    from corral.core.names import normalize_name
    from corral.core.pylock_check import check_lock
    from corral.errors import ConfigError, LockError
    from corral.infra.toml_file import read_toml

    pins: dict[str, set[str]] = {}
    if not upgrade and previous is not None and previous.is_file():
        try:
            packages = check_lock(read_toml(previous), origin=str(previous)).get("packages", [])
        except (LockError, ConfigError):
            packages = []  # a damaged previous lock only costs the kept pins
        for package in packages:
            name, version = package.get("name"), package.get("version")
            if isinstance(name, str) and isinstance(version, str) and ("wheels" in package or "sdist" in package):
                pins.setdefault(normalize_name(name), set()).add(version)
    dropped = {normalize_name(n) for n in skip}
    kept = {n: next(iter(v)) for n, v in pins.items() if len(v) == 1 and n not in dropped}
    kept.update({normalize_name(n): v for n, v in (prefer or {}).items()})
    return kept


def _make_toolchain_env(ctx: Context, interpreter: InterpreterInfo, dest: Path) -> None:
    """A seeded env on `interpreter` by corral's virtualenv creator (pip 20.3.4 for 2.7, offline)."""
    from corral.core.protocols import CreateRequest
    from corral.infra.environ import engine_environ
    from corral.plugins import load_creator
    from corral.services.lock import index_urls

    urls = index_urls(ctx)
    load_creator("virtualenv").create(
        CreateRequest(
            dest=dest,
            interpreter=interpreter,
            seed=True,
            environ=engine_environ(ctx.environ),
            index_url=urls[0],
            extra_index_urls=tuple(urls[1:]),
        )
    )
