"""The cd-hook's decision: given the working folder and the shell's environment, what to activate or deactivate.

The shell snippet (corral.shells.*/hook.*) calls this only when $PWD changed. It never sources a file from the
project: it only puts a trusted env's own `bin/` on PATH. Trusted means corral's own record (never a file inside the
env) says corral made it there or the user allowed it, and no other user owns or can write to it (services.trust).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.errors import EnvError
from corral.services.activation import HOOK_VAR, activate_change, deactivate_change

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from corral.core.protocols import EnvChange
    from corral.infra.paths import CorralPaths

__all__ = ["HookDecision", "decide", "project_env"]


@dataclass(frozen=True, kw_only=True, slots=True)
class HookDecision:
    """The change to apply (None: leave the shell as it is) and a note for the user (None: stay quiet)."""

    change: EnvChange | None
    note: str | None = None


def project_env(cwd: Path) -> Path | None:
    """The env of the project around `cwd` when it exists on disk."""
    from corral.services.project import load_project

    try:
        project = load_project(cwd, required=False)
        env = project.env_path if project is not None else None  # a wrong [tool.corral] raises ConfigError
    except Exception:  # noqa: BLE001 - a broken pyproject must not break the user's prompt
        return None
    if env is None:
        return None
    return env if Env.at(env).is_env() else None


def _same_env(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and os.path.realpath(a or "") == os.path.realpath(b or "")


def _tracked_by_git(env: Path) -> str | None:
    """A file inside `env` that the enclosing git work tree tracks (a pull can rewrite it), or None."""
    from corral.services.trust import tracked_in_env

    return tracked_in_env(env)


def decide(cwd: Path, environ: Mapping[str, str], paths: Callable[[], CorralPaths]) -> HookDecision:  # noqa: PLR0911 - one return per outcome
    """Activate the project's trusted env, switch between projects, deactivate on leaving.

    An env the user activated by hand (VIRTUAL_ENV set without the hook's marker) is never touched.

    `paths` is called only when the trust store must be read (finding corral's folders costs start-up time).
    """
    from corral.services.trust import check_trust

    active = environ.get("VIRTUAL_ENV")
    by_hook = environ.get(HOOK_VAR)
    if active and not _same_env(active, by_hook):
        return HookDecision(change=None)  # hand-activated: not ours to change
    wanted = project_env(cwd)
    if wanted is not None:
        try:
            trust = check_trust(paths, wanted)  # again when already active: it may have been replaced meanwhile
        except EnvError:  # its pyvenv.cfg vanished since project_env() looked
            return HookDecision(change=deactivate_change(environ) if active else None)
        tracked = _tracked_by_git(wanted) if trust.trusted else None
        if tracked is not None:
            note = (
                f"corral: not activating {wanted}: git tracks {tracked} inside it, so a pull can put programs "
                "there that corral never installed; untrack the env (`corral doctor --fix`), then cd again"
            )
            return HookDecision(change=deactivate_change(environ) if active else None, note=note)
        if trust.trusted:
            if _same_env(str(wanted), active):
                return HookDecision(change=None)
            return HookDecision(change=activate_change(wanted, environ, by_hook=True))
        note = f"corral: not activating {wanted}: {trust.reason}"
        if trust.can_allow:
            note += f"; if you trust it, run `corral allow {wanted}`"
        return HookDecision(change=deactivate_change(environ) if active else None, note=note)
    return HookDecision(change=deactivate_change(environ) if active else None)
