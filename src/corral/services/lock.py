"""`corral lock`: resolve pyproject.toml with uv for every platform requires-python admits; write pylock.toml.

How: uv resolves a project on disk, so the declarations are copied into a temporary project with
`[tool.uv] package = false`, at the project's real version (static, or what its build backend states:
services.project_version), because locked packages may depend back on the project (pytest on pluggy). The pins of
the current pylock.toml become a minimal uv.lock there, which uv treats as preferences (it keeps those versions
unless a requirement forbids them; `--upgrade` / `--upgrade-package` drop them). `uv lock` then resolves every
group and extra together (one consistent set), and `uv export --format pylock.toml` is run once for the plain
project, once per group and once per extra; the exports are merged into one multi-use pylock (core.pylock_write).
When a locked package depends on the project, the project itself is recorded too, as PEP 751 allows: a
`[packages.directory]` entry (path ".", editable, as `corral sync` installs it), so `uv pip sync pylock.toml`
installs a closed set.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.deps import ProjectDeps
from corral.core.lockinputs import LOCK_FILE, inputs_hash, normalize_name, stored_inputs_hash
from corral.core.pylock_check import check_lock
from corral.errors import ConfigError, LockError, LockOutdated
from corral.infra.toml_file import parse_toml, read_bytes, read_text, read_toml

if TYPE_CHECKING:
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["LOCK_FILE", "LockReport", "default_groups", "ensure_lock", "index_urls", "is_fresh", "lock",
           "lock_inputs_hash", "render_lock", "resolve_failure"]

PYPI = "https://pypi.org/simple"
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
        return {"path": str(self.path), "written": self.written, "packages": self.packages,
                "added": [{"name": n, "version": v} for n, v in self.added],
                "removed": [{"name": n, "version": v} for n, v in self.removed],
                "updated": [{"name": n, "old": o, "new": v} for n, o, v in self.updated],
                "seconds": round(self.seconds, 3)}


# ---------------------------------------------------------------- inputs


def index_urls(ctx: Context) -> list[str]:
    """[primary, *extras]: settings index-url/extra-index-urls, else UV_/PIP_ environment, else PyPI."""
    settings, env = ctx.settings, ctx.environ
    primary = settings.value("index-url") or env.get("UV_INDEX_URL") or env.get("UV_DEFAULT_INDEX") \
        or env.get("PIP_INDEX_URL") or PYPI
    extras = list(settings.value("extra-index-urls") or [])
    if not extras:
        raw = env.get("UV_EXTRA_INDEX_URL") or env.get("PIP_EXTRA_INDEX_URL") or ""
        extras = raw.split()
    return [str(primary), *(str(e) for e in extras)]


def default_groups(ctx: Context, group_names: Iterable[str]) -> list[str]:
    """`default-groups` (setting, default ["dev"]; a project's `[tool.uv]` one counts) restricted to its groups.

    A name the project does not define is an error when `CORRAL_DEFAULT_GROUPS` or a flag sets it: a typo there
    would silently drop groups from the committed lock and uninstall them. The built-in default, the project's
    `[tool.corral]` or `[tool.uv]` (written together with its groups) and the user's config file (which serves
    every project) may name groups a project lacks.
    """
    existing = {normalize_name(g) for g in group_names}
    setting = ctx.settings.get("default-groups")
    wanted = [normalize_name(str(g)) for g in (setting.value or [])]
    unknown = [g for g in wanted if g not in existing]
    if unknown and (setting.source == "command line" or setting.source.startswith("env ")):
        defined = ", ".join(sorted(existing)) or "none"
        where = setting.source.removeprefix("env ")
        msg = (f"{where}: default-groups names {', '.join(map(repr, unknown))}, which pyproject.toml does not "
               f"define (its groups: {defined}); fix the setting or add the group to [dependency-groups]")
        raise ConfigError(msg)
    return sorted({g for g in wanted if g in existing})


def lock_inputs_hash(ctx: Context, data: Mapping[str, Any]) -> str:
    """The inputs-hash a lock of `data` (a parsed pyproject) would carry in this context."""
    groups = data.get("dependency-groups")
    names = list(groups) if isinstance(groups, dict) else []
    return inputs_hash(dict(data), default_groups=default_groups(ctx, names), index_urls=index_urls(ctx))


def is_fresh(project: Project, lock_path: Path, *, ctx: Context | None = None) -> bool:
    """True when `lock_path` was written for the project's current inputs (stdlib-only comparison)."""
    try:
        stored = stored_inputs_hash(read_text(lock_path))
    except ConfigError:  # missing, not a file, not UTF-8: not fresh (reading the lock names the problem)
        return False
    if stored is None:
        return False
    if ctx is None:
        from corral.services.context import Context

        ctx = Context(cwd=project.root)
    return stored == lock_inputs_hash(ctx, project.data)


# ---------------------------------------------------------------- resolution


def resolve_failure(text: str, candidates: Iterable[str] = ()) -> tuple[str | None, str]:
    """(the candidate requirement uv's error names, a one-paragraph reason) from uv's stderr."""
    noise = ("Using ", "WARN", "Resolved", "Building", "Built", "Updated", "Added", "Removed", "Prepared")
    reasons = []
    for raw in text.splitlines():
        line = raw.strip()
        for prefix in ("error:", "cause:", "hint:", "\u00d7", "\u2570\u2500\u25b6"):
            line = line.removeprefix(prefix).strip()
        if line and not line.startswith(noise) and line != "No solution found when resolving dependencies":
            reasons.append(line)
    reason = " ".join(reasons[:4]) or "uv gave no reason"
    lowered = text.lower()
    for candidate in candidates:
        name = _req_name(candidate)
        if name and (name in lowered or name.replace("-", "_") in lowered):
            return candidate, reason
    return None, reason


def _req_name(text: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return normalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None


_UV_RESOLVER_SETTINGS = ("exclude-newer", "exclude-newer-package", "prerelease", "resolution",
                         "override-dependencies", "constraint-dependencies", "conflicts")


def _uv_project(data: Mapping[str, Any], root: Path, version: str) -> dict[str, Any]:
    project = data.get("project", {})
    name = project.get("name") if isinstance(project.get("name"), str) else "corral-project"
    body: dict[str, Any] = {"name": name, "version": version}
    for key in ("requires-python", "dependencies", "optional-dependencies"):
        if key in project:
            body[key] = project[key]
    body.setdefault("dependencies", [])
    doc: dict[str, Any] = {"project": body}
    if data.get("dependency-groups"):
        doc["dependency-groups"] = data["dependency-groups"]
    uv: dict[str, Any] = {"package": False}
    declared = data.get("tool", {}).get("uv", {}) or {}
    # uv's own resolver settings of the project: a lock that ignored them would pick what `uv lock` would not (and
    # what `uv pip install` run in the project then refuses, e.g. `exclude-newer`).
    uv.update({key: declared[key] for key in _UV_RESOLVER_SETTINGS if key in declared})
    sources = declared.get("sources")
    if isinstance(sources, dict):
        uv["sources"] = {k: _absolute_source(v, root) for k, v in sources.items()}
    doc["tool"] = {"uv": uv}
    return doc


def _absolute_source(value: Any, root: Path) -> Any:  # noqa: ANN401
    if isinstance(value, list):
        return [_absolute_source(v, root) for v in value]
    if isinstance(value, dict) and "path" in value:
        return {**value, "path": str((root / value["path"]).resolve())}
    return value


def _preferences(previous: Path | None, skip: set[str], requires_python: str | None,
                 prefer: Mapping[str, str] | None = None, index: str = PYPI) -> str | None:
    """A minimal uv.lock holding the previous pins (registry packages only): uv's preference mechanism.

    `prefer` (name -> version, from `index`) replaces or adds pins: `corral adopt` keeps what is installed.
    """
    packages: list[Any] = []
    if previous is not None and previous.is_file():
        try:
            packages = check_lock(read_toml(previous), origin=str(previous)).get("packages", [])
        except (LockError, ConfigError):
            packages = []  # a damaged previous lock only costs the kept pins
    from corral.core.pylock_write import _string

    wanted = {normalize_name(n): (n, v) for n, v in (prefer or {}).items()}
    packages = [p for p in packages if normalize_name(str(p.get("name"))) not in wanted]
    packages += [{"name": n, "version": v, "index": index} for n, v in wanted.values()]
    lines = ["version = 1", "revision = 3", f"requires-python = {_string(requires_python or '>=3')}", ""]
    for package in packages:
        name, version, index = package.get("name"), package.get("version"), package.get("index")
        if not (isinstance(name, str) and isinstance(version, str) and isinstance(index, str)):
            continue
        if normalize_name(name) in skip:
            continue
        lines += ["[[package]]", f"name = {_string(name)}", f"version = {_string(version)}",
                  f"source = {{ registry = {_string(index)} }}", ""]
    return "\n".join(lines) if len(lines) > 4 else None  # noqa: PLR2004


def _uv_lock_deps(uv_lock: Path) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for package in read_toml(uv_lock).get("package", []):
        names = [d["name"] for d in package.get("dependencies", [])]
        for deps in (package.get("optional-dependencies") or {}).values():
            names += [d["name"] for d in deps]
        graph[normalize_name(package["name"])] = [normalize_name(n) for n in names]
    return graph


def _lock_python(ctx: Context) -> str | None:
    from corral.services.exec_guard import vouched_env

    project = ctx.project
    if project is not None and vouched_env(ctx, project.env_path):  # else sync rebuilds the env: never started
        from corral.core.layout import EnvLayout

        exe = EnvLayout.for_path(project.env_path).python
        if Path(exe).exists() and not _env_python_unwanted(ctx, Path(exe)):
            return str(exe)
    from corral.services.python import choose_interpreter

    try:
        return choose_interpreter(ctx)[0].path
    except ConfigError:
        raise  # a project file asks for what corral refuses (a program it ships, a bad spec): uv must not guess
    except Exception:  # noqa: BLE001 - uv can still pick one itself
        return None


def _env_python_unwanted(ctx: Context, exe: Path) -> bool:
    """The env runs another Python than the project asks for (sync rebuilds it after locking): lock with that one."""
    from corral.errors import CorralError
    from corral.services.python import unmet_request

    try:
        return unmet_request(ctx, ctx.finder.from_path(exe)) is not None
    except CorralError:  # an unreadable request or env: as before, the env's python
        return False


def render_lock(ctx: Context, data: Mapping[str, Any], *, project_root: Path, source: str = "pyproject.toml",
                previous: Path | None = None, upgrade: bool = False, upgrade_packages: Sequence[str] = (),
                candidates: Sequence[str] = (), progress: Progress | None = None,
                prefer: Mapping[str, str] | None = None) -> str:
    """The pylock.toml text for the parsed pyproject `data` (raises LockError naming the failing requirement).

    `prefer`: name -> version kept when the requirements allow it, over the previous lock's pin (adopt).
    """
    import tomlkit

    from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
    from corral.infra import proc
    from corral.infra.environ import engine_environ
    from corral.infra.uvbin import uv_binary
    from corral.services.project_version import resolution_version

    deps = ProjectDeps.from_pyproject(data, source=source)
    from corral.services.foreign import check_declarations

    check_declarations(data, project_root, source=source)  # Poetry/setup.py dependencies: refused, never ignored
    urls = index_urls(ctx)
    python = _lock_python(ctx)
    from corral.services.legacy import legacy_lock_interpreter, render_legacy_lock

    legacy = legacy_lock_interpreter(ctx, python)
    if legacy is not None:  # Python < 3.6: uv cannot resolve; pip-tools does, in that Python (resolvers/legacy.py)
        return render_legacy_lock(ctx, data, interpreter=legacy, project_root=project_root, source=source,
                                  previous=previous, upgrade=upgrade, upgrade_packages=upgrade_packages,
                                  prefer=prefer, candidates=candidates, progress=progress)
    version = resolution_version(ctx, project_root, data, python=python, progress=progress)
    tmp = Path(tempfile.mkdtemp(prefix="corral-lock-"))
    try:
        (tmp / "pyproject.toml").write_text(tomlkit.dumps(_uv_project(data, project_root, version)),
                                            encoding="utf-8")
        skip = {normalize_name(n) for n in upgrade_packages}
        prefs = None if upgrade else _preferences(previous, skip, deps.requires_python, prefer, urls[0])
        if prefs:
            (tmp / "uv.lock").write_text(prefs, encoding="utf-8")
        uv, env = uv_binary(), engine_environ(ctx.environ)
        cmd = [uv, "lock", "--project", str(tmp), "--index-url", urls[0]]
        for extra in urls[1:]:
            cmd += ["--extra-index-url", extra]
        if python:
            cmd += ["--python", python]
        for name in sorted(skip):
            cmd += ["--upgrade-package", name]
        if progress:
            progress("resolving", f"{len(deps.all_requirements())} requirements with uv")
        done = proc.run(cmd, env=env, check=False, what="uv lock")
        if done.returncode != 0:
            full = proc.no_space("uv lock", done.stderr, cmd=cmd)
            if full is not None:  # a full disk is not a resolution failure
                raise full
            culprit, reason = resolve_failure(done.stderr, candidates)
            head = f"cannot add {culprit!r}: " if culprit else "cannot resolve the dependencies: "
            raise LockError(head + reason)
        _refuse_missing_extras(done.stderr, candidates)
        graph = _uv_lock_deps(tmp / "uv.lock")
        exports = _relocate(_exports(uv, env, tmp, deps), tmp, project_root)
        exports += _project_entry(data, exports, graph)
        packages = merge_exports(exports, graph)
    finally:
        from corral.infra.rmtree import remove_tree

        remove_tree(tmp, ignore_errors=True)
    doc = LockDocument(requires_python=deps.requires_python, extras=deps.extra_names,
                       dependency_groups=deps.group_names,
                       default_groups=default_groups(ctx, deps.group_names), packages=packages,
                       inputs_hash=lock_inputs_hash(ctx, data))
    return render_pylock(doc)


def _exports(uv: str, env: Mapping[str, str], tmp: Path,
             deps: ProjectDeps) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """`uv export` of the resolved temporary project: once plain, once per group, once per extra."""
    from corral.infra import proc

    selections: list[tuple[tuple[str, str], list[str]]] = [(("default", ""), ["--no-default-groups"])]
    selections += [(("group", g), ["--only-group", g]) for g in deps.group_names]
    selections += [(("extra", e), ["--extra", e, "--no-default-groups"]) for e in deps.extra_names]
    exports = []
    for selector, flags in selections:
        out = proc.run([uv, "export", "--project", str(tmp), "--format", "pylock.toml", "--frozen",
                        "--no-emit-project", "--no-header", *flags], env=env, what="uv export")
        exports.append((selector, parse_toml(out.stdout, origin="uv export").get("packages", [])))
    return exports


def _project_entry(data: Mapping[str, Any], exports: list[tuple[tuple[str, str], list[dict[str, Any]]]],
                   graph: Mapping[str, Sequence[str]]) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """The project as a PEP 751 directory entry, when a locked package depends on it (else the lock is not closed).

    Editable, as `corral sync` installs it; no marker, as `corral sync` installs it whatever the selection; no
    version, as PEP 751 wants for a source tree. Only a project with a build system can be installed at all.
    """
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str) or not isinstance(data.get("build-system"), dict):
        return []
    key = normalize_name(name)
    locked = {normalize_name(p["name"]) for _, packages in exports for p in packages} - {key}
    if not any(key in graph.get(other, ()) for other in locked):
        return []
    return [(("default", ""), [{"name": name, "directory": {"path": ".", "editable": True}}])]


def _refuse_missing_extras(stderr: str, candidates: Sequence[str]) -> None:
    """Uv only warns about an extra a package lacks; a requirement being added with one is an error."""
    import re

    from packaging.requirements import InvalidRequirement, Requirement

    lacking = {(normalize_name(pkg.split("==")[0]), normalize_name(extra)) for pkg, extra in
               re.findall(r"package `([^`]+)` does not have an extra named `([^`]+)`", stderr)}
    for text in candidates:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        for extra in sorted(req.extras):
            if (normalize_name(req.name), normalize_name(extra)) in lacking:
                msg = f"cannot add {text!r}: {req.name} has no extra named {extra!r}; drop [{extra}] or check its name"
                raise LockError(msg)


def _relocate(exports: list[tuple[tuple[str, str], list[dict[str, Any]]]], tmp: Path,
              root: Path) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """Local paths uv wrote relative to the temporary project, made relative to the real one (or absolute)."""
    import os

    for _, packages in exports:
        for package in packages:
            for key in ("directory", "archive", "sdist"):
                table = package.get(key)
                if isinstance(table, dict) and isinstance(table.get("path"), str):
                    target = (tmp / table["path"]).resolve()
                    try:
                        table["path"] = Path(os.path.relpath(target, root)).as_posix() \
                            if target.is_relative_to(root.resolve()) else str(target)
                    except ValueError:
                        table["path"] = str(target)
    return exports


def _versions(lock_path: Path | None) -> dict[str, set[str]]:
    if lock_path is None or not lock_path.is_file():
        return {}
    return _by_name(check_lock(read_toml(lock_path), origin=str(lock_path)).get("packages", []))


def _versions_text(text: str) -> dict[str, set[str]]:
    """Name -> versions of a lock's text; {} for a damaged lock (the one `corral lock` is replacing)."""
    try:
        packages = check_lock(parse_toml(text, origin=LOCK_FILE), origin=LOCK_FILE).get("packages", [])
    except (ConfigError, LockError):
        return {}
    return _by_name(packages)


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
    updated = [(n, ", ".join(sorted(old[n])), ", ".join(sorted(new[n])))
               for n in sorted(set(old) & set(new)) if old[n] != new[n]]
    return added, removed, updated


# ---------------------------------------------------------------- commands


def lock(ctx: Context, *, upgrade: bool = False, upgrade_packages: Sequence[str] = (), check: bool = False,
         pyproject_path: Path | None = None, lock_path: Path | None = None,
         progress: Progress | None = None) -> LockReport:
    """Resolve and write pylock.toml (kept pins unless upgrading); `check` raises LockOutdated when stale."""
    from corral.infra.fs import atomic_write_text
    from corral.services.transaction import project_lock

    started = time.monotonic()
    project = ctx.require_project()
    pyproject = pyproject_path or project.pyproject
    target = lock_path or project.root / LOCK_FILE
    if check:
        data = read_toml(pyproject)
        ProjectDeps.from_pyproject(data, source=str(pyproject))
        if not target.is_file():
            raise LockOutdated(f"{target} does not exist; run `corral lock`")
        if stored_inputs_hash(read_text(target)) != lock_inputs_hash(ctx, data):
            raise LockOutdated(f"{target} is stale: {_what_changed(data, target)}; run `corral lock`")
        count = sum(len(v) for v in _versions(target).values())
        return LockReport(path=target, written=False, packages=count, seconds=time.monotonic() - started)
    with project_lock(project.root):
        data = read_toml(pyproject)
        _refuse_unknown_upgrades(data, target, upgrade_packages, source=str(pyproject))
        text = render_lock(ctx, data, project_root=project.root, source=str(pyproject), previous=target,
                           upgrade=upgrade, upgrade_packages=upgrade_packages, progress=progress)
        old_text = read_bytes(target).decode("utf-8", errors="replace") if target.is_file() else None
        written = text != old_text
        if written:
            atomic_write_text(target, text, root=project.root)
    new = _versions_text(text)
    added, removed, updated = diff_versions(_versions_text(old_text) if old_text else {}, new)
    return LockReport(path=target, written=written, packages=sum(len(v) for v in new.values()), added=added,
                      removed=removed, updated=updated, seconds=time.monotonic() - started)


def _refuse_unknown_upgrades(data: Mapping[str, Any], lock_path: Path, names: Sequence[str], *, source: str) -> None:
    """`--upgrade-package NAME` must name a locked or declared package: a typo would otherwise upgrade nothing."""
    if not names:
        return
    from corral.errors import UsageError

    known = set(_versions(lock_path)) if lock_path.is_file() else set()
    known |= {n for _, r in ProjectDeps.from_pyproject(data, source=source).all_requirements() if (n := _req_name(r))}
    unknown = [n for n in names if normalize_name(n) not in known]
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        msg = (f"--upgrade-package {listed}: no such package in {lock_path.name} or pyproject.toml, so there is "
               "no pin to release; check the spelling (`corral tree` lists the locked packages)")
        raise UsageError(msg)


def _what_changed(data: Mapping[str, Any], lock_path: Path) -> str:
    deps = ProjectDeps.from_pyproject(data)
    locked = _versions(lock_path)
    missing = sorted({n for _, r in deps.all_requirements() if (n := _req_name(r)) and n not in locked})
    lock_data = check_lock(read_toml(lock_path), origin=str(lock_path))
    notes = []
    if missing:
        notes.append("not in the lock: " + ", ".join(missing))
    if sorted(lock_data.get("dependency-groups", [])) != deps.group_names:
        notes.append("dependency groups changed")
    if sorted(lock_data.get("extras", [])) != deps.extra_names:
        notes.append("extras changed")
    return "; ".join(notes) or "pyproject.toml's requirements, requires-python or index settings changed"


def ensure_lock(ctx: Context, *, frozen: bool, locked: bool) -> Path:
    """The lock path, re-locked first when missing or stale (unless `frozen`: as is; `locked`: LockOutdated)."""
    project = ctx.require_project()
    target = project.root / LOCK_FILE
    if frozen:
        if not target.is_file():
            raise LockError(f"--frozen needs {target}, which does not exist; run `corral lock` first")
        return target
    mismatch = None
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
    lock(ctx)
    return target
