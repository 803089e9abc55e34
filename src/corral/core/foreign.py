"""Dependency declarations in a pyproject.toml that corral does not read (pure).

corral reads PEP 621 `[project]` and PEP 735 `[dependency-groups]` only. Other tools keep dependencies elsewhere:
Poetry in `[tool.poetry.dependencies]` / `.group.NAME.dependencies` / `.dev-dependencies` / `.extras`, PDM in
`[tool.pdm.dev-dependencies]`, flit before 3.2 in `[tool.flit.metadata]`, and any backend behind
`[project] dynamic = ["dependencies"]`. Locking such a project would silently leave those out, so
`ignored_declarations` names them and the caller refuses (or `corral init` moves them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corral.core.names import normalize_name

__all__ = ["Ignored", "ignored_declarations"]


@dataclass(frozen=True, slots=True)
class Ignored:
    """One table (or field) whose dependencies corral would not see."""

    where: str  # "[tool.poetry.dependencies]"
    tool: str  # "Poetry", "PDM", "flit", "the build backend"
    movable: bool  # `corral init` can move it to [project] / [dependency-groups]


def _table(data: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _poetry(data: Mapping[str, Any], project: Mapping[str, Any], groups: set[str]) -> list[Ignored]:
    poetry = _table(data, "tool", "poetry")
    out = []
    main = [k for k in _table(poetry, "dependencies") if k.lower() != "python"]
    # With [project].dependencies, Poetry ≥ 2 reads [tool.poetry.dependencies] only as locking detail of those
    if main and "dependencies" not in project:
        out.append(Ignored("[tool.poetry.dependencies]", "Poetry", movable=True))
    if _table(poetry, "extras") and "optional-dependencies" not in project:
        out.append(Ignored("[tool.poetry.extras]", "Poetry", movable=True))
    if _table(poetry, "dev-dependencies") and "dev" not in groups:
        out.append(Ignored("[tool.poetry.dev-dependencies]", "Poetry", movable=True))
    for name, group in _table(poetry, "group").items():
        if isinstance(group, Mapping) and _table(group, "dependencies") and normalize_name(name) not in groups:
            out.append(Ignored(f"[tool.poetry.group.{name}.dependencies]", "Poetry", movable=True))
    return out


def ignored_declarations(data: Mapping[str, Any]) -> list[Ignored]:
    """Every dependency declaration of the parsed pyproject `data` that corral's [project]/[dependency-groups] lack."""
    project = _table(data, "project")
    groups = {normalize_name(str(g)) for g in _table(data, "dependency-groups")}
    out = _poetry(data, project, groups)
    pdm = _table(data, "tool", "pdm", "dev-dependencies")
    out += [
        Ignored(f"[tool.pdm.dev-dependencies].{name}", "PDM", movable=True)
        for name in pdm
        if normalize_name(name) not in groups
    ]
    flit = _table(data, "tool", "flit", "metadata")
    if flit and not project:
        out.append(Ignored("[tool.flit.metadata]", "flit", movable=False))
    dynamic = project.get("dynamic")
    for key in ("dependencies", "optional-dependencies"):
        if isinstance(dynamic, list) and key in dynamic:
            out.append(Ignored(f'[project] dynamic = ["{key}"]', "the build backend", movable=False))
    return out
