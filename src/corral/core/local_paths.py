"""Local paths as a lock or a pyproject.toml records them: relative to the file's folder, so a checkout can move.

PEP 751 lets a lock's `path` be relative to the lock file; uv records its path sources relative to the project the
same way (`../lib` for a sibling in a monorepo). An absolute path names the folder on the machine that locked:
a clone elsewhere installed the first checkout's sibling, or failed, and its next lock rewrote every path.
Stdlib only.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PathSource", "declared_requirements", "editable_sources", "named_absolutely", "relative_to_folder"]


class PathSource(NamedTuple):
    """A `[tool.uv.sources]` path entry: `{ path = "../lib" }`, with `editable = true` for an editable install."""

    path: str
    editable: bool = False


def relative_to_folder(target: str | PurePath, folder: str | PurePath) -> str:
    """`target` (absolute) relative to `folder` with `/` separators (`../lib`, `.`, `wheels/x.whl`).

    Absolute where no relative path leads there: another drive on Windows.
    """
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:
        return str(target)


def named_absolutely(data: Mapping[str, object]) -> set[str]:
    """The local paths a pyproject names absolutely (normalized), which a lock keeps absolute outside the project.

    `name @ file:///abs` requirements and absolute `path`s in `[tool.uv.sources]`: the user chose that very folder.
    """
    from urllib.parse import unquote, urlsplit

    named: set[str] = set()
    for requirement in declared_requirements(data):
        _, at, url = requirement.partition("@")
        parts = urlsplit(url.split(";", 1)[0].strip()) if at else None
        if parts is not None and parts.scheme == "file" and parts.netloc in ("", "localhost"):
            named.add(os.path.normpath(unquote(parts.path)))
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    sources = uv.get("sources") if isinstance(uv, dict) else None
    for entry in sources.values() if isinstance(sources, dict) else ():
        for one in entry if isinstance(entry, list) else [entry]:
            path = one.get("path") if isinstance(one, dict) else None
            if isinstance(path, str) and os.path.isabs(path):
                named.add(os.path.normpath(path))
    return named


def editable_sources(data: Mapping[str, object]) -> set[str]:
    """The names (normalized) whose `[tool.uv.sources]` entry is a path with `editable = true`."""
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    sources = uv.get("sources") if isinstance(uv, dict) else None
    from corral.core.names import normalize_name

    found = set()
    for name, entry in sources.items() if isinstance(sources, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry.get("editable") is True:
            found.add(normalize_name(str(name)))
    return found


def declared_requirements(data: Mapping[str, object]) -> list[str]:
    """Every requirement string of the project's dependencies, extras and dependency groups (an include left out)."""
    project = data.get("project")
    arrays = []
    if isinstance(project, dict):
        arrays.append(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        arrays += list(optional.values()) if isinstance(optional, dict) else []
    groups = data.get("dependency-groups")
    arrays += list(groups.values()) if isinstance(groups, dict) else []
    return [item for array in arrays if isinstance(array, list) for item in array if isinstance(item, str)]
