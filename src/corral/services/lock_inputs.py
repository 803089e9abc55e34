"""What a lock is resolved from, as its inputs-hash records it, and whether a lock file still matches (`is_fresh`).

The index URLs (settings, else uv's and pip's variables, else PyPI) and the default groups a lock is resolved
with; `lock_inputs_hash`, the hash `corral lock` writes into pylock.toml; `is_fresh`, a stdlib-only comparison of
the two. Apart from `services.lock` (which resolves) so that what only compares (`corral doctor`'s lock-stale
check, a sync's freshness test) imports neither the resolver nor `dataclasses`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from corral.core.lock_fingerprint import inputs_hash, stored_inputs_hash
from corral.core.names import normalize_name
from corral.errors import ConfigError
from corral.infra.toml_file import read_text

if TYPE_CHECKING:
    from pathlib import Path

    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["PYPI", "default_groups", "index_urls", "is_fresh", "lock_inputs_hash"]

PYPI = "https://pypi.org/simple"


def index_urls(ctx: Context) -> list[str]:
    """[primary, *extras]: settings index-url/extra-index-urls, else UV_/PIP_ environment, else PyPI."""
    settings, env = ctx.settings, ctx.environ
    primary = (
        settings.value("index-url")
        or env.get("UV_INDEX_URL")
        or env.get("UV_DEFAULT_INDEX")
        or env.get("PIP_INDEX_URL")
        or PYPI
    )
    extras = list(settings.value("extra-index-urls") or [])
    if not extras:
        raw = env.get("UV_EXTRA_INDEX_URL") or env.get("PIP_EXTRA_INDEX_URL") or ""
        extras = raw.split()
    return [_located(str(primary)), *(_located(str(e)) for e in extras)]


def _located(index: str) -> str:
    """An index given as a relative path, absolute against the working folder (uv starts in the root)."""
    if not index or "://" in index or index.startswith(("/", "~")) or index[:5].lower() == "file:":
        return index
    return os.path.abspath(index)


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
        msg = (
            f"{where}: default-groups names {', '.join(map(repr, unknown))}, which pyproject.toml does not "
            f"define (its groups: {defined}); fix the setting or add the group to [dependency-groups]"
        )
        raise ConfigError(msg)
    return sorted({g for g in wanted if g in existing})


def lock_inputs_hash(ctx: Context, data: Mapping[str, Any]) -> str:
    """The inputs-hash a lock of `data` (a parsed pyproject) would carry in this context."""
    groups = data.get("dependency-groups")
    names = list(groups) if isinstance(groups, dict) else []
    return inputs_hash(dict(data), default_groups=default_groups(ctx, names), index_urls=index_urls(ctx))


def is_fresh(project: Project, lock_path: Path, *, ctx: Context) -> bool:
    """True when `lock_path` was written for the project's current inputs (stdlib-only comparison)."""
    try:
        stored = stored_inputs_hash(read_text(lock_path))
    except ConfigError:  # missing, not a file, not UTF-8: not fresh (reading the lock names the problem)
        return False
    if stored is None:
        return False
    return stored == lock_inputs_hash(ctx, project.data)
