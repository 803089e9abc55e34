"""The lock entries that apply to the project's env: what `corral tree` and `corral outdated` judge.

A universal pylock.toml holds one entry per name for each fork of the resolution (`anyio 4.12.1` under
`python_full_version < '3.10'`, `anyio 4.16.0` above). The env holds the entries a sync chooses for its
interpreter (`core.pylock_select`, through `services.sync.selection_cache`, so the same answer and the same cache):
here with every extra and every group selected, since a tree or an outdated listing covers them all. The target is
the env's own python when corral may start it, else the interpreter a new env would be made from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.core.names import normalize_name

if TYPE_CHECKING:
    from pathlib import Path

    from corral.core.interpreter import InterpreterInfo
    from corral.core.selection import Selection
    from corral.services.context import Context

__all__ = ["applying_entries", "env_target"]


def env_target(ctx: Context) -> InterpreterInfo | None:
    """The interpreter the project's env runs (or, without a usable env, the one a new env would use); None: none found.

    The env's python is never started when it is a program the project ships (`services.exec_guard`).
    """
    from corral.core.env import Env
    from corral.errors import InterpreterNotFound
    from corral.services.exec_guard import env_refusal
    from corral.services.python import choose_interpreter

    project = ctx.require_project()
    env = project.env_path
    python = Env.at(env).python
    if python.exists() and env_refusal(ctx, env) is None:
        try:
            return ctx.finder.from_path(python)
        except InterpreterNotFound:
            pass  # a broken env: the interpreter a rebuild would use
    try:
        return choose_interpreter(ctx)[0]
    except InterpreterNotFound:
        return None


def applying_entries(
    ctx: Context, lock_path: Path, packages: list[dict[str, Any]], *, target: InterpreterInfo | None
) -> list[dict[str, Any]]:
    """The entries of `packages` (the lock at `lock_path`, checked) a sync of all extras and groups puts on `target`.

    At most one entry per name. With no target (no interpreter found), the first entry of each name. A lock whose
    extras conflict (two entries of one name chosen with all of them) is judged under the default selection.

    Raises:
        LockError: the lock has nothing for `target` (Python outside requires-python, no usable file).

    """
    if target is None:
        first: dict[str, dict[str, Any]] = {}
        for package in packages:
            first.setdefault(normalize_name(package["name"]), package)
        return list(first.values())
    from corral.core.selection import Selection
    from corral.errors import LockError

    try:
        chosen = _choose(ctx, lock_path, target, Selection(all_groups=True, all_extras=True))
    except LockError:
        chosen = _choose(ctx, lock_path, target, Selection())
    wanted = {(c.name, c.version) for c in chosen}
    picked: dict[str, dict[str, Any]] = {}
    for package in packages:
        key = normalize_name(package["name"])
        if (key, package.get("version")) in wanted:
            picked.setdefault(key, package)
    return list(picked.values())


def _choose(ctx: Context, lock_path: Path, target: InterpreterInfo, selection: Selection) -> list[Any]:
    from corral.services.sync.apply import stamp_key
    from corral.services.sync.selection_cache import choose

    return choose(
        lock_path,
        target=target,
        selection=selection,
        selection_key=stamp_key(selection),
        cache_dir=ctx.paths.cache / "lock-choices",  # the folder `services.sync.apply` chooses through
    )
