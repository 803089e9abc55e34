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

    from corral.core.uv_indexes import UvIndexes
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = [
    "PYPI",
    "default_groups",
    "index_urls",
    "indexes_from_project",
    "is_fresh",
    "lock_inputs_hash",
    "uv_reads_settings",
]

PYPI = "https://pypi.org/simple"


def index_urls(ctx: Context) -> list[str]:
    """[primary, *extras]: settings, else UV_/PIP_ environment, else the project's `[tool.uv]` indexes, else PyPI.

    Settings are index-url/extra-index-urls; the project's indexes its default, then the others uv asks
    (`core.uv_indexes`).

    Raises:
        ConfigError: the project's `[tool.uv]` index entries are malformed.

    """
    settings, env = ctx.settings, ctx.environ
    primary = (
        settings.value("index-url")
        or env.get("UV_INDEX_URL")
        or env.get("UV_DEFAULT_INDEX")
        or env.get("PIP_INDEX_URL")
    )
    extras = list(settings.value("extra-index-urls") or [])
    if not extras:
        raw = env.get("UV_EXTRA_INDEX_URL") or env.get("PIP_EXTRA_INDEX_URL") or ""
        extras = raw.split()
    declared = _project_indexes(ctx)
    if declared is not None:
        root, project = declared
        primary = primary or (project.default and _located(project.default, root))
        extras = extras or [_located(e, root) for e in project.extra]
    return [_located(str(primary or PYPI)), *(_located(str(e)) for e in extras)]


def indexes_from_project(ctx: Context) -> bool:
    """The project's `[tool.uv]` names indexes and neither settings nor the environment choose others.

    Then `uv lock` is given no index flag: it reads the project's own `[[tool.uv.index]]` (named, explicit ones
    for its sources, the credentials uv finds for each name) exactly as `uv lock` in the project does.
    """
    settings, env = ctx.settings, ctx.environ
    chosen = settings.value("index-url") or settings.value("extra-index-urls") or any(env.get(k) for k in _INDEX_VARS)
    return not chosen and _project_indexes(ctx) is not None


def uv_reads_settings(environ: Mapping[str, str]) -> bool:
    """Whether uv reads a project's `[tool.uv]` settings: not with `UV_NO_CONFIG` set (then it reads none of them)."""
    return environ.get("UV_NO_CONFIG", "").strip().lower() in ("", "0", "false", "no", "off")


_INDEX_VARS = ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL", "UV_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL")


def _project_indexes(ctx: Context) -> tuple[Path, UvIndexes] | None:
    """(root, the indexes) the project names in `[tool.uv]`; None when it names none (or there is no project)."""
    from corral.core.uv_indexes import uv_indexes

    project = ctx.project
    if project is None or not uv_reads_settings(ctx.environ):
        return None  # uv reads no `[tool.uv]` then either (its index flags are given, as without project indexes)
    found = uv_indexes(project.data, source=str(project.pyproject))
    return (project.root, found) if found.declared else None


def _located(index: str, folder: str | Path | None = None) -> str:
    """An index given as a relative path, absolute against `folder` (default: the working folder, where uv starts)."""
    if not index or "://" in index or index.startswith(("/", "~")) or index[:5].lower() == "file:":
        return index
    return os.path.abspath(os.path.join(folder, index) if folder is not None else index)


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
    # the project's own indexes are hashed as it spells them (its [tool.uv] settings are): a relative folder of
    # wheels made absolute here would make the lock stale in every other checkout
    urls = [PROJECT_INDEXES] if indexes_from_project(ctx) else index_urls(ctx)
    return inputs_hash(dict(data), default_groups=default_groups(ctx, names), index_urls=urls)


PROJECT_INDEXES = "[tool.uv]"  # what the inputs-hash names as the index list when the project's indexes are used


def is_fresh(project: Project, lock_path: Path, *, ctx: Context) -> bool:
    """True when `lock_path` was written for the project's current inputs (stdlib-only comparison)."""
    try:
        stored = stored_inputs_hash(read_text(lock_path))
    except ConfigError:  # missing, not a file, not UTF-8: not fresh (reading the lock names the problem)
        return False
    if stored is None:
        return False
    return stored == lock_inputs_hash(ctx, project.data)
