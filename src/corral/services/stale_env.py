"""A project's env that no longer follows its record: moved, copied, not corral's, or on another Python.

The env is a function of pyproject.toml, pylock.toml and the chosen interpreter. `sync` (and `run`, through it)
asks `why_stale` on its full path and rebuilds a stale env from the lock through the atomic recreate
(`services.recreate`). The no-op fast path never trusts a stale env: a moved or copied env's sync stamp names
another folder, and the stamp records `.python-version`, pyproject.toml (requires-python, `[tool.corral]`), the
user config and `CORRAL_*` (`services.sync.stamp`). The evidence is doctor's own, so `doctor` reports the same
thing: `doctor.relocation.check_relocation` (files only) and `services.python.unmet_request`.

An env whose interpreter is gone (the base Python removed or moved) or now runs another X.Y than the env was built
for (`/usr/bin/python3` or Homebrew's `python3` re-pointed by an upgrade: the env starts, and every package in
`lib/pythonX.Y/site-packages` is invisible to it) is rebuilt too: doctor's `python-missing` and
`base-minor-upgrade`, whose fix is the same rebuild.

An env corral's own record does not vouch for (`services.trust.why_untrusted`: one a repository ships, or one
replaced since corral made it) is rebuilt before its python is ever started; `corral allow` keeps an env the user
made. Its stamp sits in the env, so the fast path asks the record too (`cli.sync_cmd.synced_env`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = ["why_stale"]


def why_stale(ctx: Context, env: Path, identify: Callable[[], InterpreterInfo]) -> str | None:
    """Why the project's env at `env` must be rebuilt, as one phrase; None when it follows its record.

    `identify` names the env's interpreter (from the probe cache); it is asked only when the files show no move.
    """
    from corral.doctor.relocation import check_relocation
    from corral.services.doctor import target_for
    from corral.services.python import unmet_request

    target = target_for(ctx, env, ctx.project)
    moved = check_relocation(target)
    if moved:
        return moved[0].message
    from corral.services.trust import why_untrusted

    shipped = why_untrusted(ctx.paths, env)  # an env a repository ships: its python is never started
    if shipped is not None:
        return shipped
    gone = _python_gone(env)
    if gone is not None:
        return gone
    info = identify()
    wanted = unmet_request(ctx, info)
    if wanted is not None:
        return f"it runs {info.implementation} {info.version}, but {wanted}"
    other = _built_for_another_minor(env, info)
    if other is not None:
        return other
    from corral.doctor.interpreter import link_findings

    missing = link_findings(target)  # bin/python3 or python3.X gone: doctor's `python-link-missing`
    return missing[0].message if missing else None


def _python_gone(env: Path) -> str | None:
    """The env's python is missing or a link to nothing (doctor's `python-missing`); None when it exists."""
    from corral.core.env import Env

    python = Env.at(env).python
    if os.path.exists(python):
        return None
    if os.path.islink(python):
        return f"its python links to {os.readlink(python)}, which is gone (the base Python was removed or moved)"
    return f"it has no interpreter ({python} is missing)"


def _built_for_another_minor(env: Path, info: InterpreterInfo) -> str | None:
    """The env's python runs another X.Y than pyvenv.cfg records (doctor's `base-minor-upgrade`); None when not."""
    from corral.core.pyversion import python_version
    from corral.doctor.interpreter import classify_change
    from corral.infra.envfiles import read_env

    try:
        recorded = read_env(env)
    except OSError:
        return None  # doctor's pyvenv checks say what is wrong with the file
    if classify_change(recorded.version, python_version(info.version)) != "minor":
        return None
    return (
        f"it runs {info.implementation} {info.version}, but it was built for {recorded.version_text} (its base "
        "Python was upgraded in place): every package in it is invisible to that Python"
    )
