"""What corral may start: never a program a repository shipped.

A repository can ship any file, so corral never starts an executable whose real path lies inside the project
folder, unless it belongs to an env that corral's own record says it made there or that the user allowed with
`corral allow` (`services.trust`: a record in corral's data folder; nothing inside a project or an env is
evidence). A base interpreter (what an env's `bin/python` resolves to, the `home` its pyvenv.cfg names) must lie
outside the project whatever the record says: an env's python loads its standard library from beside `home`.

Who asks, and what each does with a refusal:

- `services.sync.apply` before it probes an env's python or hands it to an installer (an error naming the fix),
  and `services.lock` before it resolves for the env's python (it takes the interpreter a new env would get);
- `doctor.target` / `doctor.pyvenv`: a finding "not run: ..." instead of the probe;
- `services.python`: an interpreter a project file names (.python-version, `[tool.corral] python`,
  requires-python) may be a path only when discovery already lists it (`corral python list`) and it lies
  outside the project. The user's own `--python PATH`, `CORRAL_PYTHON` and user config may name any path.

Sync and run also never use a project env corral did not make as it is: they rebuild it from the lock
(`services.stale_env`). Activating an env is not starting it: the cd-hook asks `services.trust`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.env import Env

if TYPE_CHECKING:
    from collections.abc import Iterable

    from corral.infra.paths import CorralPaths
    from corral.services.context import Context

__all__ = ["env_refusal", "inside", "project_roots", "start_refusal", "unlisted_base", "vouched_env"]

_CFG_MAX_BYTES = 64 * 1024  # a pyvenv.cfg is a few lines; anything bigger is not read


def inside(path: str | Path, root: str | Path) -> bool:
    """`path` is `root` or lies under it (both compared as given: pass real paths)."""
    path, root = str(path), str(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def project_roots(ctx: Context, *near: Path) -> tuple[str, ...]:
    """Real paths of the project around the working folder and of the projects around `near` (e.g. an env)."""
    from corral.services.project import find_project_root

    found = [find_project_root(ctx.cwd), *(find_project_root(p.parent) for p in near)]
    return tuple(dict.fromkeys(os.path.realpath(r) for r in found if r is not None))


def _env_holding(real: str, root: str) -> Path | None:
    """The env (a folder holding pyvenv.cfg) that `real` lies in, looked for up to the project root."""
    for folder in Path(real).parents:
        if not inside(folder, root):
            return None
        if Env.at(folder).is_env():
            return folder
    return None


def start_refusal(paths: CorralPaths, exe: Path, roots: Iterable[str], *, base: bool = False) -> str | None:
    """Why corral must not start `exe` (its real path lies inside a project), None when it may.

    `base`: `exe` is a base interpreter, which no record vouches for inside a project.
    """
    real = os.path.realpath(exe)
    root = next((r for r in roots if inside(real, r)), None)
    if root is None:
        return None
    shown = exe if real == str(exe) else f"{exe} (really {real})"
    if base:
        return f"{shown} lies inside the project ({root}), and corral never starts an interpreter a project ships"
    env = _env_holding(real, root)
    if env is not None:
        from corral.errors import EnvError
        from corral.services.trust import check_trust

        try:
            if check_trust(paths, env).trusted:
                return None
        except EnvError:
            pass
    return f"{shown} lies inside the project and corral did not make this env"


def _cfg_home(env: Path) -> str | None:
    """The `home` of `env`'s pyvenv.cfg; "" when the file is not a small regular file (nothing can tell)."""
    from corral.infra.envfiles import read_env
    from corral.infra.safe_read import UnreadableFile

    try:
        return read_env(env, limit=_CFG_MAX_BYTES).home
    except UnreadableFile:
        return ""
    except OSError:
        return None


def env_refusal(ctx: Context, env: Path) -> str | None:
    """Why corral must not start `env`'s python (its program, or the `home` it runs on, a project's file); else None."""
    roots = project_roots(ctx, env)
    if not roots:
        return None
    python = Env.at(env).python
    refusal = start_refusal(ctx.paths, python, roots)
    if refusal is not None:
        return refusal
    home = _cfg_home(env)
    if home == "":
        return f"its pyvenv.cfg ({env / 'pyvenv.cfg'}) is not a small regular file"
    if home:
        try:
            real = os.path.realpath(home)
        except ValueError:  # a NUL byte: no folder has that name, and no python starts on it
            return f"its pyvenv.cfg home {home!r} is not a path"
        if any(inside(real, r) for r in roots):
            return (
                f"its pyvenv.cfg home {home} lies inside the project: corral never starts an interpreter on a "
                "base a project ships"
            )
    return None


def unlisted_base(ctx: Context, exe: Path, env: Path) -> str | None:
    """Why `exe`, the base an env's python links to, is not started (an unvouched env, an unlisted exe); else None.

    Not started when no record vouches for `env` and discovery does not list `exe`.
    The project folder is not the repository: a monorepo's subproject, or a folder unpacked beside others, can
    ship a `.venv` whose python links to `../../tools/python3`, a program outside the project that the same
    checkout wrote. As for a path a project file names (`services.python.find_requested`), only an interpreter
    `corral python list` finds, or the base of an env corral made or the user allowed, is started.
    """
    from corral.errors import EnvError
    from corral.services.trust import check_trust

    try:
        if check_trust(ctx.paths, env).trusted:
            return None
    except EnvError:
        pass
    if ctx.finder.knows(exe):
        return None
    return (
        f"{exe} is not an interpreter corral found (`corral python list`), and corral did not make this env: "
        "corral never starts a program an env it has no record of links to"
    )


def vouched_env(ctx: Context, env: Path) -> bool:
    """The project's env may be used as it is: corral's record vouches for it and it runs no project's file.

    `services.lock` resolves for the env's python only then; otherwise sync rebuilds the env after locking.
    """
    from corral.services.trust import why_untrusted

    return why_untrusted(ctx.paths, env) is None and env_refusal(ctx, env) is None
