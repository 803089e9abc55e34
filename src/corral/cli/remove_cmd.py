"""`corral remove NAME... [--group NAME | --dev | --optional EXTRA]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.plugins import ENGINES

    parser.add_argument("names", nargs="+", metavar="NAME", help="package names to drop")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--group", "-G", metavar="NAME", help="remove from [dependency-groups].NAME")
    where.add_argument("--dev", action="store_const", const="dev", dest="group", help="same as --group dev")
    where.add_argument("--optional", metavar="EXTRA", help="remove from [project.optional-dependencies].EXTRA")
    parser.add_argument("--engine", choices=list(ENGINES), help="installer used for the env")
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Drop, re-lock, sync; all or nothing."""
    from corral.cli.add_cmd import shown_and_recorded
    from corral.services.add_remove import remove

    with out.progress() as progress:
        report = remove(
            ctx, args.names, group=args.group, optional=args.optional, engine=args.engine, progress=progress
        )
    return shown_and_recorded(report, args, ctx, out)
