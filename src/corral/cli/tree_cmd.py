"""`corral tree`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context
    from corral.services.tree import TreeNode


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _lines(node: TreeNode, prefix: str, last: bool) -> list[str]:
    branch = "└── " if last else "├── "
    label = f"{node.name} {node.version or ''}".rstrip()
    if node.requirement and node.requirement != node.name:
        label += f"  [{node.requirement}]"
    if node.repeat and not node.requirement:
        label += " (*)"
    out = [prefix + branch + label]
    inner = prefix + ("    " if last else "│   ")
    for i, child in enumerate(node.children):
        out += _lines(child, inner, i == len(node.children) - 1)
    return out


def _root_label(ctx: Context) -> str:
    """The project's name and its version when pyproject states it (`httpx`, `demo 0.1.0`), as `uv tree` roots it."""
    from corral.render.output import one_line

    project = ctx.require_project()
    table = project.data.get("project")
    version = table.get("version") if isinstance(table, dict) else None
    return one_line(f"{project.name} {version}" if isinstance(version, str) else project.name)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Print the locked tree per section."""
    from corral.services.tree import locked_tree

    sections = locked_tree(ctx)
    if args.json:
        out.json("tree", [{"section": title, "roots": [r.to_dict() for r in roots]} for title, roots in sections])
        return 0
    marked = False
    for title, roots in sections:
        if not roots and title != "project":
            continue
        out.line(_root_label(ctx) if title == "project" else title)
        for i, root in enumerate(roots):
            for line in _lines(root, "", i == len(roots) - 1):
                marked = marked or line.endswith(" (*)")
                out.line(line)
    if marked:  # the legend explains a mark; with none it only puzzles
        out.info("(*) shown above")
    return 0
