"""`corral tree`: the locked dependency tree, rooted at the project's requirements, groups and extras.

The versions are those of the lock entries the env holds (`services.env_lock_entries`): one per name, each
marker judged for the env's Python, as `uv tree` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from corral.core.names import normalize_name

if TYPE_CHECKING:
    from corral.services.context import Context

__all__ = ["TreeNode", "locked_tree"]


@dataclass
class TreeNode:
    """One package in the tree (`repeat` marks a package already shown above, or a cycle)."""

    name: str
    version: str | None
    requirement: str | None = None
    repeat: bool = False
    children: list[TreeNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "version": self.version,
            "requirement": self.requirement,
            "repeat": self.repeat,
            "children": [c.to_dict() for c in self.children],
        }


def locked_tree(ctx: Context, *, frozen: bool = True) -> list[tuple[str, list[TreeNode]]]:
    """[(section, roots)]: "project", "group NAME", "extra NAME", each with its locked subtree."""
    from packaging.requirements import Requirement

    from corral.core.deps import ProjectDeps
    from corral.core.pylock_check import check_lock
    from corral.infra.toml_file import read_toml
    from corral.services.env_lock_entries import applying_entries, env_target
    from corral.services.lock import LOCK_FILE, ensure_lock

    project = ctx.require_project()
    lock_path = project.root / LOCK_FILE
    if not (frozen and lock_path.is_file()):
        lock_path = ensure_lock(ctx, frozen=False, locked=False)
    packages = check_lock(read_toml(lock_path), origin=str(lock_path)).get("packages", [])
    # the entries the env holds (one per name, markers judged for its Python), not the first entry of each name
    applying = applying_entries(ctx, lock_path, packages, target=env_target(ctx))
    versions: dict[str, str | None] = {normalize_name(p["name"]): p.get("version") for p in applying}
    edges: dict[str, list[str]] = {}
    for package in applying:  # a dependency the target's markers exclude has no entry here: no child
        children = (normalize_name(d["name"]) for d in package.get("dependencies", []) if "name" in d)
        edges[normalize_name(package["name"])] = [child for child in children if child in versions]
    deps = ProjectDeps.from_pyproject(project.data, source=str(project.pyproject))
    sections = [("project", list(deps.dependencies))]
    sections += [(f"extra {e}", list(deps.optional[e])) for e in deps.extra_names]
    sections += [(f"group {g}", deps.expand_group(g)) for g in deps.group_names]
    shown: set[str] = set()

    def build(name: str, requirement: str | None, path: tuple[str, ...]) -> TreeNode:
        node = TreeNode(name=name, version=versions.get(name), requirement=requirement)
        if name in path or name in shown:
            node.repeat = True
            return node
        shown.add(name)
        node.children = [build(child, None, (*path, name)) for child in sorted(set(edges.get(name, [])))]
        return node

    result = []
    for title, requirements in sections:
        roots = []
        for text in requirements:
            name = normalize_name(Requirement(text).name)
            if name in versions:
                roots.append(build(name, text, ()))
        result.append((title, roots))
    return result
