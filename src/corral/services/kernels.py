"""`corral kernel`: a Jupyter kernel for the project's env that is recorded, listed, refreshed and removed with it.

`add_kernel` records `ipykernel` in a `jupyter` dependency group (and adds "jupyter" to `[tool.corral]
default-groups` so a plain sync keeps it), installs it through `services.add_remove.add`, then writes a kernelspec
(the same folder and kernel.json shape as `python -m ipykernel install`). corral also notes every kernel it
writes in `<corral data>/kernels.json`, so a `--sys-prefix` kernel (kept inside the env) comes back after a
recreate wipes the env folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.frozen import Frozen
from corral.errors import EnvError, SafetyRefusal, UsageError
from corral.infra.fs import atomic_write_text
from corral.kernels.spec import refreshed_argv

if TYPE_CHECKING:
    from corral.kernels.registry import KernelEntry
    from corral.services.context import Context

__all__ = [
    "JUPYTER_GROUP",
    "KernelResult",
    "add_kernel",
    "env_prefixes",
    "env_python",
    "env_version",
    "kernels_for_env",
    "list_all",
    "missing_env_note",
    "refresh_after_rebuild",
    "refresh_kernels_for_env",
    "refreshed_argv",
    "remove_kernel",
    "remove_kernels_of_removed_env",
]

JUPYTER_GROUP = "jupyter"
RECORD_FILE = "kernels.json"
SCOPES = ("user", "sys-prefix")
Progress = Callable[[str, str], None]


class KernelResult(Frozen):
    """What `add_kernel` did."""

    __slots__ = ("argv", "display_name", "env", "installed", "name", "notes", "recorded", "resource_dir", "scope")
    name: str
    resource_dir: Path
    scope: str
    display_name: str
    argv: list[str]
    env: Path
    installed: bool
    recorded: dict[str, Any]
    notes: tuple[str, ...]

    def __init__(
        self,
        *,
        name: str,
        resource_dir: Path,
        scope: str,
        display_name: str,
        argv: list[str],
        env: Path,
        installed: bool,
        recorded: dict[str, Any] | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self._set(
            name=name,
            resource_dir=resource_dir,
            scope=scope,
            display_name=display_name,
            argv=argv,
            env=env,
            installed=installed,
            recorded={} if recorded is None else recorded,
            notes=notes,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "resource_dir": str(self.resource_dir),
            "scope": self.scope,
            "display_name": self.display_name,
            "argv": self.argv,
            "env": str(self.env),
            "installed_ipykernel": self.installed,
            "recorded": self.recorded,
            "notes": list(self.notes),
        }


# --- the env -----------------------------------------------------------------------------------------------------


def env_python(env: Path) -> Path:
    """The env's interpreter path as a kernel's argv[0] names it (`<env>/bin/python`, unresolved)."""
    from corral.core.env import Env

    return Env.at(env).python


def env_version(env: Path) -> tuple[int, ...] | None:
    """(3, 12, 1) from the env's pyvenv.cfg; None when unreadable."""
    from corral.infra.envfiles import read_env

    try:
        return read_env(env).version
    except OSError:
        return None


def _site_packages(env: Path) -> list[Path]:
    from corral.core.env import Env

    return Env.at(env).site_packages()


def _has_ipykernel(env: Path) -> bool:
    return any((site / "ipykernel" / "__init__.py").is_file() for site in _site_packages(env))


# --- corral's own note of the kernels it wrote ----------------------------------------------------------------------


def _record_path(ctx: Context) -> Path:
    return ctx.paths.data / RECORD_FILE


def _read_records(ctx: Context) -> list[dict[str, str]]:
    try:
        data = json.loads(_record_path(ctx).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("kernels") if isinstance(data, dict) else None
    return [i for i in items or [] if isinstance(i, dict) and isinstance(i.get("resource_dir"), str)]


def _write_records(ctx: Context, records: list[dict[str, str]]) -> None:
    records = sorted({r["resource_dir"]: r for r in records}.values(), key=lambda r: r["resource_dir"])
    atomic_write_text(_record_path(ctx), json.dumps({"version": 1, "kernels": records}, indent=2) + "\n")


def env_prefixes(ctx: Context, *extra: Path) -> list[Path]:
    """Envs whose `share/jupyter` is searched: the project's env, envs corral wrote kernels for, `extra`."""
    found: list[Path] = list(extra)
    project = ctx.project
    if project is not None:
        found.append(project.env_path)
    found += [Path(r["env"]) for r in _read_records(ctx) if r.get("scope") == "sys-prefix" and r.get("env")]
    return list(dict.fromkeys(found))


# --- listing -------------------------------------------------------------------------------------------------------


def list_all(ctx: Context, *, check: bool = False) -> list[KernelEntry]:
    """Every kernelspec on the machine in Jupyter's precedence (see `corral.kernels.registry.list_kernels`)."""
    from corral.kernels.registry import list_kernels

    return list_kernels(ctx.environ, env_prefixes=env_prefixes(ctx), check=check)


def kernels_for_env(env_path: Path, *, ctx: Context | None = None) -> list[KernelEntry]:
    """The kernelspecs whose interpreter lives in `env_path` (for "removing the env offers to remove its kernel")."""
    from corral.kernels.registry import list_kernels, points_at

    env = Path(os.path.abspath(env_path))
    if ctx is None:
        return [e for e in list_kernels(None, env_prefixes=[env]) if points_at(e, env)]
    return [e for e in list_kernels(ctx.environ, env_prefixes=env_prefixes(ctx, env)) if points_at(e, env)]


# --- add -------------------------------------------------------------------------------------------------------------


def _recorded_in_group(data: dict[str, Any]) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement

    groups = data.get("dependency-groups")
    items = groups.get(JUPYTER_GROUP, []) if isinstance(groups, dict) else []
    for item in items if isinstance(items, list) else []:
        with contextlib.suppress(InvalidRequirement, TypeError):
            if Requirement(str(item)).name.lower() == "ipykernel":
                return True
    return False


def _record_ipykernel(ctx: Context, *, engine: str | None, progress: Progress | None) -> tuple[bool, dict[str, Any]]:
    """Make sure ipykernel is recorded (group + default-groups) and installed; returns (installed now, recorded)."""
    project = ctx.require_project()
    from corral.services.config import uv_settings

    # [tool.corral] default-groups, written below, replaces a [tool.uv] one: start from it so no group is dropped.
    uv_defaults = uv_settings(project.data, project.pyproject).get("default-groups", ["dev"])
    defaults = project.tool.get("default-groups", uv_defaults)
    if not isinstance(defaults, list):
        defaults = ["dev"]
    wanted = [*defaults, JUPYTER_GROUP] if JUPYTER_GROUP not in defaults else list(defaults)
    recorded: dict[str, Any] = {}
    if _recorded_in_group(project.data) and wanted == defaults and _has_ipykernel(project.env_path):
        return False, recorded
    if wanted != defaults:
        recorded["default-groups"] = wanted
    from corral.services import add_remove as deps

    # One transaction: the group, default-groups and the lock change together or not at all.
    deps.add(
        ctx,
        ["ipykernel"],
        group=JUPYTER_GROUP,
        engine=engine,
        progress=progress,
        tool_values={"default-groups": wanted} if wanted != defaults else None,
    )
    recorded["dependency-groups"] = {JUPYTER_GROUP: ["ipykernel"]}
    return True, recorded


def _target_dir(ctx: Context, scope: str, env: Path) -> tuple[Path, str]:
    from corral.kernels.paths import sys_prefix_data_dir, user_data_dir

    if scope == "user":
        return Path(str(user_data_dir(ctx.environ))) / "kernels", "user"
    if scope == "sys-prefix":
        return Path(str(sys_prefix_data_dir(env))) / "kernels", "sys-prefix"
    msg = f"unknown kernel scope {scope!r}; choose one of: {', '.join(SCOPES)}"
    raise UsageError(msg)


def _check_free(ctx: Context, kernels_dir: Path, name: str, env: Path) -> str | None:
    """Refuse to overwrite a kernel of the same name that starts another interpreter; its display name if ours."""
    from corral.kernels.registry import list_kernels, points_at

    spot = kernels_dir / name
    if not os.path.lexists(spot):
        return None
    for entry in list_kernels(ctx.environ, env_prefixes=env_prefixes(ctx, env)):
        if Path(os.path.abspath(entry.resource_dir)) == Path(os.path.abspath(spot)):
            if points_at(entry, env):
                return entry.spec.display_name if entry.spec else None
            other = entry.spec.python if entry.spec else "an unreadable kernel.json"
            msg = (
                f"a kernel named {name!r} already exists at {spot} and starts {other}; choose another "
                f"--name, or remove it first with `corral kernel remove {name}`"
            )
            raise UsageError(msg)
    msg = f"{spot} exists and is not a kernelspec; move it away or choose another --name"
    raise SafetyRefusal(msg)


def add_kernel(
    ctx: Context,
    *,
    name: str | None = None,
    display_name: str | None = None,
    scope: str = "user",
    engine: str | None = None,
    progress: Progress | None = None,
) -> KernelResult:
    """Record + install ipykernel in the project's env, then register a kernelspec that starts that env."""
    from corral.kernels.registry import write_kernel_dir
    from corral.kernels.spec import build_spec, default_display_name, default_name, logo_files, validate_name

    project = ctx.require_project()
    env = project.env_path
    kernel_name = validate_name(name) if name is not None else default_name(project.name)
    if display_name is not None and not display_name.strip():
        raise UsageError("--display-name must not be empty")
    kernels_dir, scope_name = _target_dir(ctx, scope, env)
    previous = _check_free(ctx, kernels_dir, kernel_name, env)
    installed, recorded = _record_ipykernel(ctx, engine=engine, progress=progress)
    if not _has_ipykernel(env):
        msg = f"ipykernel is recorded but not installed in {env}; run `corral sync` and try again"
        raise EnvError(msg)
    version = env_version(env)
    shown = display_name or previous or default_display_name(project.name, version)
    spec = build_spec(
        python=str(env_python(env)), version=version, display_name=shown, env_path=env, project_root=project.root
    )
    if progress:
        progress("kernel", f"writing {kernels_dir / kernel_name}")
    target = write_kernel_dir(kernels_dir, kernel_name, spec, logo_files(_site_packages(env)))
    records = [r for r in _read_records(ctx) if r["resource_dir"] != str(target)]
    records.append(
        {
            "name": kernel_name,
            "resource_dir": str(target),
            "scope": scope_name,
            "env": str(env),
            "project": str(project.root),
            "display_name": spec.display_name,
        }
    )
    _write_records(ctx, records)
    notes: list[str] = []
    if scope_name == "sys-prefix":
        notes.append(
            f"a --sys-prefix kernel is seen only by a Jupyter running from {env}; use --user (the "
            "default) for a Jupyter installed elsewhere"
        )
    return KernelResult(
        name=kernel_name,
        resource_dir=target,
        scope=scope_name,
        display_name=spec.display_name,
        argv=list(spec.argv),
        env=env,
        installed=installed,
        recorded=recorded,
        notes=tuple(notes),
    )


# --- remove ---------------------------------------------------------------------------------------------------


def remove_kernel(ctx: Context, name: str) -> Path:
    """Delete the kernelspec Jupyter would use for `name` (only a real folder holding kernel.json, in a kernels dir)."""
    from corral.kernels.registry import kernels_dirs, remove_kernel_dir

    key = name.strip().lower()
    entries = [e for e in list_all(ctx) if e.name == key and not e.shadowed]
    if not entries:
        msg = f"no kernel named {name!r}; `corral kernel list` shows the names"
        raise UsageError(msg)
    entry = entries[0]
    allowed = [d for d, _ in kernels_dirs(ctx.environ, env_prefixes=env_prefixes(ctx))]
    try:
        remove_kernel_dir(entry.resource_dir, allowed)
    except PermissionError as err:
        msg = f"cannot remove {entry.resource_dir}: permission denied (a system-wide kernel needs an administrator)"
        raise EnvError(msg) from err
    records = [r for r in _read_records(ctx) if r["resource_dir"] != str(entry.resource_dir)]
    with contextlib.suppress(OSError):
        _write_records(ctx, records)
    return entry.resource_dir


# --- refresh after recreate / upgrade --python -----------------------------------------------------------------


def refresh_kernels_for_env(ctx: Context, env_path: Path) -> list[Path]:
    """Point every kernelspec of `env_path` at its current interpreter; rewrite lost --sys-prefix ones."""
    from corral.kernels.registry import list_kernels, points_at, write_kernel_dir
    from corral.kernels.spec import build_spec, logo_files, retitled

    env = Path(os.path.abspath(env_path))
    python, version = str(env_python(env)), env_version(env)
    changed: list[Path] = []
    seen: set[str] = set()
    for entry in list_kernels(ctx.environ, env_prefixes=env_prefixes(ctx, env)):
        if entry.spec is None or not points_at(entry, env):
            continue
        seen.add(str(entry.resource_dir))
        argv = refreshed_argv(entry.spec.argv, python, version)
        title = retitled(entry.spec.display_name, version)  # "Python 3.11 (proj)" after an upgrade to 3.13
        if argv == list(entry.spec.argv) and title == entry.spec.display_name:
            continue
        resources = [p for p in entry.resource_dir.iterdir() if p.is_file() and p.name != "kernel.json"]
        write_kernel_dir(
            entry.resource_dir.parent, entry.resource_dir.name, entry.spec.with_argv(argv, title), resources
        )
        changed.append(entry.resource_dir)
    for record in _read_records(ctx):
        target = Path(record["resource_dir"])
        if record.get("env") != str(env) or str(target) in seen or os.path.lexists(target):
            continue
        if record.get("scope") != "sys-prefix" or not env.is_dir():
            continue
        project = record.get("project")
        shown = retitled(record.get("display_name") or target.name, version)
        spec = build_spec(
            python=python,
            version=version,
            display_name=shown,
            env_path=env,
            project_root=Path(project) if project else None,
        )
        write_kernel_dir(target.parent, target.name, spec, logo_files(_site_packages(env)))
        changed.append(target)
    return changed


# --- the env is gone ------------------------------------------------------------------------------------------------


def missing_env_note(ctx: Context, env_path: Path) -> str:
    """ "kernel 'x' still starts <env>: ..." for messages about a missing env ("" when no kernel points at it)."""
    try:
        names = [e.name for e in kernels_for_env(env_path, ctx=ctx) if not e.shadowed]
    except Exception:  # noqa: BLE001 - a note must never break the message it decorates
        return ""
    if not names:
        return ""
    listed = ", ".join(repr(n) for n in names)
    removals = "; ".join(f"`corral kernel remove {n}`" for n in names)
    return (
        f"Jupyter kernel {listed} still starts this env: `corral sync` rebuilds the env and the kernel works "
        f"again, or drop the kernel with {removals}"
    )


def remove_kernels_of_removed_env(ctx: Context, env_path: Path, *, remove: bool) -> list[tuple[str, str]]:
    """After an env was deleted: (name, what happened) for each kernel that started it; deletes them when `remove`."""
    results: list[tuple[str, str]] = []
    for entry in kernels_for_env(env_path, ctx=ctx):
        if entry.shadowed:
            continue
        if not remove:
            results.append((entry.name, f"kept; remove it with `corral kernel remove {entry.name}`"))
            continue
        try:
            remove_kernel(ctx, entry.name)
        except (EnvError, SafetyRefusal, UsageError, OSError) as err:
            results.append((entry.name, f"not removed: {err}"))
        else:
            results.append((entry.name, f"removed {entry.resource_dir}"))
    return results


def refresh_after_rebuild(ctx: Context, env_path: Path) -> list[str]:
    """refresh_kernels_for_env for recreate/upgrade: never raises; returns notes (a failure becomes a warning)."""
    try:
        changed = refresh_kernels_for_env(ctx, env_path)
    except Exception as err:  # noqa: BLE001 - the env is rebuilt; a kernel problem must not undo or hide that
        return [f"warning: the env's Jupyter kernels were not updated ({err}); run `corral kernel add` again"]
    return [f"updated Jupyter kernel {p.name!r} ({p})" for p in changed]
