"""`corral export --format requirements.txt|pylock.toml [--hashes] [--no-emit-project] [-o FILE]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument(
        "--format",
        "-f",
        dest="fmt",
        choices=["requirements.txt", "pylock.toml"],
        default="requirements.txt",
        help="output format (default requirements.txt)",
    )
    parser.add_argument("--hashes", action="store_true", help="add --hash options (pip's hash-checking mode)")
    parser.add_argument(
        "--no-emit-project",
        dest="emit_project",
        action="store_false",
        help="leave out the project itself (else `-e .` when it has a [build-system], as uv writes it)",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write FILE instead of stdout")
    parser.add_argument(
        "--group",
        "-G",
        action="append",
        default=[],
        metavar="NAME",
        help="include a dependency group besides the default ones (requirements.txt)",
    )
    parser.add_argument("--all-groups", action="store_true", help="include every dependency group")
    parser.add_argument("--no-dev", action="store_true", help="leave out the dev group")
    parser.add_argument("--extra", "-E", action="append", default=[], metavar="NAME", help="include an extra")
    parser.add_argument("--all-extras", action="store_true", help="include every extra")
    parser.add_argument("--frozen", action="store_true", help="use pylock.toml as it is, even if stale")
    parser.add_argument(
        "--json",
        action="store_true",
        help="machine-readable: the export's text (or the file written) in the JSON envelope",
    )


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Print or write the export."""
    from corral.core.selection import Selection
    from corral.services.requirements_io import export_lock, write_output

    selection = Selection(
        groups=tuple(args.group) or None,
        extras=tuple(args.extra),
        no_dev=args.no_dev,
        all_groups=args.all_groups,
        all_extras=args.all_extras,
    )
    text = export_lock(
        ctx,
        fmt=args.fmt,
        hashes=args.hashes,
        selection=selection,
        frozen=args.frozen,
        emit_project=args.emit_project,
        notes=out.warn,
    )
    if args.output:
        write_output(text, ctx.cwd / args.output, project_root=ctx.project.root if ctx.project else None)
    if args.json:
        out.json(
            "export",
            {
                "format": args.fmt,
                "output": str(ctx.cwd / args.output) if args.output else None,
                "text": None if args.output else text,
            },
        )
    elif args.output:
        out.info(f"wrote {ctx.cwd / args.output}")
    else:
        out.stdout.write(text)
    return 0
