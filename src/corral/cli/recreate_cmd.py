"""`corral recreate [--yes] [--python SPEC]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--python", metavar="SPEC", help="interpreter for the new env (default: the project's)")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--resume", action="store_true", help="only finish or roll back an interrupted recreate")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Rebuild the project's env from the lock beside the old one and swap it in atomically."""
    from corral.cli.doctor_cmd import confirmer
    from corral.services.recreate import recover, recreate

    project = ctx.require_project()
    if args.resume:
        out.info(recover(project.root, ctx.paths) or "nothing to resume")
        return 0
    confirm = confirmer(args, out, "corral recreate")
    if not confirm(f"rebuild {project.env_path} from the lock (the old env is replaced once the new one works)?"):  # type: ignore[operator]
        out.info("nothing changed")
        return 1
    with out.progress() as progress:  # one phase; the live line tells a long rebuild from a hang
        progress("rebuilding", f"{project.env_path} from the lock, beside the old one")
        done = recreate(ctx, python=args.python)
    if args.json:
        out.json("recreate", done.to_dict())
        return 0
    for note in done.notes:
        out.warn(note)
    swap = "atomic exchange" if done.atomic else "two renames"
    out.line(
        f"recreated {done.env} with Python {done.python}: {done.packages} packages from the {done.source} ({swap})"
    )
    return 0
