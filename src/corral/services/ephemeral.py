"""Throwaway envs for `corral run --with PKG ...` and `corral x TOOL` (pipx run / uvx style), cached by inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.errors import UsageError
from corral.services.scripts import ScriptEnv, ensure_env, env_request, script_key

if TYPE_CHECKING:
    from corral.services.context import Context

__all__ = ["refuse_legacy_layer", "tool_env", "tool_executable", "with_env"]


def _validated(requirements: list[str]) -> list[str]:
    from corral.core.deps import parse_requirement

    for text in requirements:
        parse_requirement(text)
    return requirements


def _refusal(version: tuple[int, ...]) -> UsageError:
    shown = ".".join(map(str, version[:2]))
    return UsageError(
        f"`corral run --with` is not served for Python {shown} (this project's Python): its layer is installed by "
        "uv, which cannot install for it; add the package to the project instead (`corral add PKG`)"
    )


def _uv_serves(version: tuple[int, ...]) -> bool:
    from corral.resolvers import UV_OLDEST

    return tuple(version[:2]) >= UV_OLDEST


def refuse_legacy_layer(ctx: Context, *, base_env: Path | None, will_sync: bool) -> None:
    """Refuse `run --with` at once (UsageError, nothing built) when the project's Python is one uv cannot serve (2.7).

    `will_sync`: the env is synced first, so the Python that sync chooses counts (`choose_interpreter`), else the
    env's own (its pyvenv.cfg). One that cannot be chosen is left to sync to name.
    """
    if ctx.project is None:
        return
    if will_sync:
        from corral.errors import CorralError
        from corral.services.python import choose_interpreter

        try:
            version: tuple[int, ...] | None = tuple(choose_interpreter(ctx)[0].version_info)
        except CorralError:
            return  # sync says why no interpreter serves the project
    else:
        version = _env_minor(base_env)
    if version is not None and not _uv_serves(version):
        raise _refusal(version)


def _env_minor(env: Path | None) -> tuple[int, int] | None:
    """(major, minor) of the env's base Python as its pyvenv.cfg records it, None when it has none."""
    if env is None or not (env / "pyvenv.cfg").is_file():
        return None
    from corral.core.pyversion import python_minor
    from corral.services.legacy import env_python_version

    return python_minor(env_python_version(env))


def with_env(
    ctx: Context, packages: list[str], *, python: str | None = None, base_env: Path | None = None
) -> ScriptEnv:
    """An env with `packages`, layered over `base_env` (the project's env) when given.

    The layer sees the base env's packages through a .pth file, so a project's code runs with the extra
    tools without touching the project's recorded env.
    """
    reqs = _validated(list(packages))
    version = _env_minor(base_env)
    if version is not None and not _uv_serves(version):
        raise _refusal(version)  # a layer uv cannot install into, over an env whose packages it could not run
    base: dict[str, object] = {}
    if base_env is not None:
        base = _base_identity(ctx, base_env, python, version)
        python = str(base["python"])
    inputs = json.dumps({"with": sorted(reqs), "base": str(base_env or ""), **base}, sort_keys=True)
    request, file_index = env_request(ctx, python)
    key = script_key(inputs, python=request, environ=ctx.environ, kind="with", file_index=file_index)
    return ensure_env(ctx, kind="with", key=key, requirements=reqs, python=python, overlay_of=base_env)


def _base_identity(
    ctx: Context, base_env: Path, python: str | None, version: tuple[int, int] | None
) -> dict[str, object]:
    """What a layer over `base_env` is made for: the env's interpreter (its real path) and the folders it imports from.

    The env's own python path stays the same when the env is rebuilt on another Python, so the layer's key holds
    the interpreter it leads to and the site-packages its .pth names: a layer made over the old env is never taken.
    `python` (`--python`) must be the env's own Python: a layer imports the env's packages, built for that one.
    """
    import os

    env = Env.at(base_env)
    if python is not None:
        asked = ctx.finder.find(python)
        if version is not None and asked.minor != version:
            msg = (
                f"--python {python} is Python {asked.version}, but the project's env {base_env} is Python "
                f"{version[0]}.{version[1]}: a --with layer runs on the env's own Python, whose packages it imports "
                "(leave out --python, or pin the project to that Python and sync)"
            )
            raise UsageError(msg)
    return {
        "python": str(env.python),
        "interpreter": os.path.realpath(env.python),
        "site": [str(p) for p in env.site_packages()],
    }


def tool_env(ctx: Context, tool: str, *, from_package: str | None = None, python: str | None = None) -> ScriptEnv:
    """The cached env providing command `tool` (from `from_package`, default a package named like the tool)."""
    package = from_package or tool
    reqs = _validated([package])
    request, file_index = env_request(ctx, python)
    key = script_key(
        json.dumps({"tool": package}), python=request, environ=ctx.environ, kind="tool", file_index=file_index
    )
    return ensure_env(ctx, kind="tool", key=key, requirements=reqs, python=python)


def tool_executable(env: Path, tool: str) -> Path:
    """The tool's console script inside its env; a clear error listing what the package provides otherwise."""
    bin_dir = Env.at(env).bin_dir
    for name in (tool, f"{tool}.exe"):
        if (bin_dir / name).is_file():
            return bin_dir / name
    provided = sorted(
        p.name
        for p in bin_dir.iterdir()
        if p.is_file() and not p.name.startswith(("python", "activate", "Activate", "deactivate", "pip"))
    )
    msg = (
        f"the package installs no command named {tool!r}"
        + (f"; it provides: {', '.join(provided)}" if provided else "")
        + "; use `corral x --from PACKAGE COMMAND`"
    )
    raise UsageError(msg)
