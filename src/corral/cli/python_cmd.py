"""`corral python list|find|pin`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="every interpreter on this machine")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    find = sub.add_parser("find", help="the best interpreter for SPEC (3.12, '>=3.9,<3.12', cpython@3.11, a path)")
    find.add_argument("spec")
    find.add_argument("--json", action="store_true", help="machine-readable output")
    pin = sub.add_parser("pin", help="write .python-version for SPEC")
    pin.add_argument("spec")
    pin.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Run the chosen action."""
    from corral.services import python as svc

    if args.action == "list":
        found = svc.list_interpreters(ctx)
        if args.json:
            out.json("python list", [i.to_dict() for i in found])
            return 0
        rows = [
            [
                i.implementation,
                i.version + ("t" if i.free_threaded else ""),
                i.machine,
                i.path,
                ", ".join(i.sources)
                + (" (legacy)" if i.is_legacy else "")
                + (" (externally managed)" if i.externally_managed else ""),
            ]
            for i in found
        ]
        out.table(["implementation", "version", "arch", "path", "found in"], rows, footer=f"{len(found)} interpreters")
        return 0
    if args.action == "find":
        info = ctx.finder.find(args.spec)
        if args.json:
            out.json("python find", info.to_dict())
        else:
            out.line(info.path)
            out.info(f"{info.implementation} {info.version} ({', '.join(info.sources)})")
        return 0
    target, info = svc.pin(ctx, args.spec)
    if args.json:
        out.json("python pin", {"spec": args.spec, "file": str(target), "python": info.to_dict()})
        return 0
    out.info(f"pinned {args.spec} in {target} (matches {info.implementation} {info.version} at {info.path})")
    return 0
