"""`corral import requirements.txt [-r FILE...] [--group NAME | --dev | --optional EXTRA]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="requirements files")
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        type=Path,
        dest="more",
        metavar="FILE",
        help="another requirements file (repeatable)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--group", "-G", metavar="NAME", help="record in [dependency-groups].NAME")
    where.add_argument("--dev", action="store_const", const="dev", dest="group", help="same as --group dev")
    where.add_argument("--optional", metavar="EXTRA", help="record in [project.optional-dependencies].EXTRA")
    parser.add_argument("--json", action="store_true", help="machine-readable report")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Parse the files, then add everything in one all-or-nothing step (record, lock, install)."""
    from corral.cli.add_cmd import show
    from corral.errors import UsageError
    from corral.services.requirements_io import import_requirements

    files = [*args.files, *args.more]
    if not files:
        raise UsageError("name a requirements file: corral import requirements.txt")
    with out.progress() as progress:
        report = import_requirements(
            ctx, files, group=args.group, optional=args.optional, progress=progress, notes=out.warn
        )
    return show(report, args, out)
