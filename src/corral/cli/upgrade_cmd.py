"""`corral upgrade --python SPEC`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument(
        "--python", metavar="SPEC", required=True, help="the new interpreter (version like 3.12 or a path)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Move the project to another interpreter: patch level in place, otherwise a rebuild from the lock."""
    from corral.services.upgrade import upgrade_python

    with out.progress() as progress:  # one phase; the live line tells a long rebuild from a hang
        progress("upgrading", f"the project's env to Python {args.python}")
        done = upgrade_python(ctx, args.python)
    if args.json:
        out.json("upgrade", done.to_dict())
        return 0
    how = "in place, packages kept" if done.mode == "in-place" else "rebuilt from the lock"
    out.line(
        f"upgraded {done.env}: Python {done.old_version or 'none'} -> {done.new_version} ({how}); "
        f".python-version = {done.pinned}"
    )
    return 0
