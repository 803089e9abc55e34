"""`corral remove NAME... [--group NAME | --dev | --optional EXTRA | --script FILE]`."""

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
    where.add_argument("--script", metavar="FILE", help="remove from FILE's own PEP 723 `# /// script` block instead")
    parser.add_argument("--engine", choices=list(ENGINES), help="installer used for the env")
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Drop, re-lock, sync; all or nothing."""
    if args.script:
        from pathlib import Path

        from corral.services.script_edit import remove_from_script

        script = (ctx.cwd / args.script).absolute()
        env = remove_from_script(ctx, script, args.names)
        if args.json:
            out.json("remove", {"script": str(script), "names": args.names, "env": str(env)})
        else:
            out.info(f"removed {', '.join(args.names)} from {Path(args.script)}'s script block (env: {env})")
        return 0
    from corral.cli.add_cmd import shown_and_recorded
    from corral.services.add_remove import remove

    with out.progress() as progress:
        report = remove(
            ctx, args.names, group=args.group, optional=args.optional, engine=args.engine, progress=progress
        )
    return shown_and_recorded(report, args, ctx, out)
