"""Which envs the cd-hook may activate: those corral made in place, and those the user allowed (`corral allow`).

An allowance is tied to the env's real path and to its pyvenv.cfg identity (inode + mtime): if the folder is
replaced (say, by a fresh clone bringing its own `.venv`), the allowance no longer matches.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.provenance import PROVENANCE_FILE
from corral.errors import EnvError

if TYPE_CHECKING:
    from collections.abc import Callable

    from corral.infra.paths import CorralPaths

__all__ = ["TRUST_FILE", "Trust", "allow_env", "check_trust", "revoke_env"]

TRUST_FILE = "trust.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class Trust:
    """Whether an env may be activated automatically, and why (or why not)."""

    trusted: bool
    reason: str


def _identity(env: Path) -> tuple[str, dict[str, int]]:
    real = os.path.realpath(env)
    try:
        st = os.stat(Path(real) / "pyvenv.cfg")
    except OSError as err:
        msg = f"{env} is not an environment (cannot read its pyvenv.cfg: {err.strerror})"
        raise EnvError(msg) from err
    return real, {"inode": st.st_ino, "mtime_ns": st.st_mtime_ns}


def _load(paths: CorralPaths) -> dict[str, Any]:
    try:
        data = json.loads((paths.data / TRUST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "envs": {}}
    if not isinstance(data, dict) or not isinstance(data.get("envs"), dict):
        return {"version": 1, "envs": {}}
    return data


def _save(paths: CorralPaths, data: dict[str, Any]) -> None:
    from corral.infra.fs import atomic_write_text  # noqa: PLC0415

    paths.data.mkdir(parents=True, exist_ok=True)
    atomic_write_text(paths.data / TRUST_FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _made_here_by_corral(real: str) -> bool:
    try:
        record = json.loads((Path(real) / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    location = record.get("location") if isinstance(record, dict) else None
    return isinstance(location, str) and os.path.realpath(location) == real


def check_trust(paths: CorralPaths | Callable[[], CorralPaths], env: Path) -> Trust:
    """Trusted when corral created the env at this very place, or the user allowed it as it is now.

    `paths` may be a callable: it is called only when the trust store must be read.
    """
    real, ident = _identity(env)
    if _made_here_by_corral(real):
        return Trust(trusted=True, reason="created here by corral")
    entry = _load(paths() if callable(paths) else paths)["envs"].get(real)
    if entry is None:
        return Trust(trusted=False, reason="not created by corral and not allowed")
    if {k: entry.get(k) for k in ident} != ident:
        return Trust(trusted=False, reason="allowed once, but its pyvenv.cfg changed since (replaced or recreated)")
    return Trust(trusted=True, reason="allowed by the user")


def allow_env(paths: CorralPaths, env: Path) -> str:
    """Record `env` (as it is now) as allowed; returns its real path."""
    from datetime import datetime, timezone  # noqa: PLC0415

    real, ident = _identity(env)
    data = _load(paths)
    data["envs"][real] = {**ident, "allowed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _save(paths, data)
    return real


def revoke_env(paths: CorralPaths, env: Path) -> bool:
    """Forget an allowance; False when there was none."""
    real = os.path.realpath(env)
    data = _load(paths)
    if data["envs"].pop(real, None) is None:
        return False
    _save(paths, data)
    return True
