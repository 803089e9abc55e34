"""Resolvers: what turns a project's requirements into the packages of its pylock.toml.

| name | serves | where |
|---|---|---|
| `uv` | Python 3.6+, universal (every platform requires-python admits) | `resolvers/uv.py` (uv lock, uv export) |
| `pip-tools` | Python 2.7 (uv: "Python < 3.6 is not supported"), for one environment | `resolvers/legacy.py` |

Each is a row of `corral.plugins.RESOLVERS` (`load_resolver(name)`): `cannot_resolve(interpreter)` gives the reason
it cannot serve one, `resolve(request)` takes its own request (no Context: `services/lock.py` and
`services/legacy.py` fill it in) and returns PEP 751 package tables per selection and the dependency graph.
`resolver_for(version_info)` names the one corral uses for an interpreter; `services/lock.py` asks it before
locking, so every command that locks (lock, add, remove, sync, run, tree, export, adopt) takes the same road.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself (~20 ms) is not imported before a lock's head start; mypy reads this as typing's
if TYPE_CHECKING:
    from typing import Final

__all__ = ["UV_OLDEST", "resolver_for"]

# uv resolves for, creates and installs into Python >= 3.6 only (it probes interpreters with -I).
UV_OLDEST: Final = (3, 6)


def resolver_for(version_info: tuple[int, ...]) -> str:
    """ "uv" for Python >= 3.6, "pip-tools" below (the legacy locker)."""
    return "uv" if tuple(version_info[:2]) >= UV_OLDEST else "pip-tools"
