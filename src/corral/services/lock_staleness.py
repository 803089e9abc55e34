"""Why a project's lock is stale, in words: the package index it was locked from, or the project's own inputs.

`lock_inputs.is_fresh` compares one digest (`core.lock_fingerprint.inputs_hash`), which cannot say what moved. The
lock itself names the index each package came from (PEP 751's `index`, credentials stripped), so when the digest of
the project's current inputs with the lock's own index URLs in place of today's is the stored one, the index is
all that changed: a `UV_INDEX_URL` (or `UV_DEFAULT_INDEX`, `PIP_INDEX_URL`, `*_EXTRA_INDEX_URL`, corral's
`index-url` setting) set or changed since the lock. Anything else is worded as the project's inputs (dependencies,
groups, sources, requires-python, default groups) changed since the last lock.

Read only after the lock was found stale: it parses the lock (tomllib) and hashes a few times.
"""

from __future__ import annotations

from itertools import permutations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["stale_lock_message"]

_MAX_INDEXES = 4  # a lock naming more indexes is not matched index by index (4! orders at most)
_INDEX_VARIABLES = (  # what `lock_inputs.index_urls` reads, in its order
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "PIP_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
)


def stale_lock_message(ctx: Context, project: Project, lock_path: Path) -> str:
    """What doctor's `lock-stale` says of the stale lock `lock_path`: the index change when that is all that moved."""
    locked = _index_change(ctx, project, lock_path)
    if locked is None:
        return (
            f"{lock_path.name} is older than the project's inputs (pyproject.toml's dependencies, groups or sources, "
            "edited since the last lock, or the default-groups setting)"
        )
    from corral.core.urls import strip_credentials
    from corral.services.lock_inputs import index_urls

    now = ", ".join(strip_credentials(u) for u in index_urls(ctx))
    return (
        f"{lock_path.name} was locked from the package index {', '.join(locked)}; the index is now {now} "
        f"({_index_source(ctx)}): lock again, or set the index back"
    )


def _index_change(ctx: Context, project: Project, lock_path: Path) -> list[str] | None:
    """The lock's index URLs when they alone make its stored inputs-hash; None when something else changed."""
    from corral.core.lock_fingerprint import inputs_hash, stored_inputs_hash
    from corral.errors import ConfigError
    from corral.infra.toml_file import parse_toml, read_text
    from corral.services.lock_inputs import default_groups

    try:
        text = read_text(lock_path)
        data = parse_toml(text, origin=str(lock_path))
        groups = project.data.get("dependency-groups")
        defaults = default_groups(ctx, list(groups) if isinstance(groups, dict) else [])
    except ConfigError:
        return None
    stored = stored_inputs_hash(text)
    packages = data.get("packages")
    if stored is None or not isinstance(packages, list):
        return None
    locked = list(
        dict.fromkeys(p["index"] for p in packages if isinstance(p, dict) and isinstance(p.get("index"), str))
    )
    if not locked or len(locked) > _MAX_INDEXES:
        return None
    for order in permutations(locked):
        if inputs_hash(dict(project.data), default_groups=defaults, index_urls=list(order)) == stored:
            return list(order)
    return None


def _index_source(ctx: Context) -> str:
    """Where today's index comes from, as `lock_inputs.index_urls` chooses it."""
    for name in ("index-url", "extra-index-urls"):
        setting = ctx.settings.get(name)
        if setting.value:
            return f"{name} from {setting.source}"
    named = [name for name in _INDEX_VARIABLES if ctx.environ.get(name)]
    return ", ".join(named) if named else "no index set: PyPI"
