"""`corral lock [--check] [--upgrade | --upgrade-package NAME]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--check", action="store_true", help="exit 1 (changing nothing) when pylock.toml is stale")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--upgrade", "-U", action="store_true", help="ignore existing pins: newest allowed versions")
    how.add_argument("--upgrade-package", "-P", action="append", default=[], metavar="NAME",
                     help="release the pin of NAME (repeatable)")
    parser.add_argument("--script", metavar="FILE", help="lock a PEP 723 script's dependencies to pylock.<name>.toml")
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Lock and say what changed."""
    if args.script:
        from corral.services.script_edit import lock_script

        target = lock_script(ctx, (ctx.cwd / args.script).absolute())
        if args.json:
            out.json("lock", {"script": args.script, "path": str(target)})
        else:
            out.info(f"wrote {target}")
        return 0
    from corral.services.lock import lock

    report = lock(ctx, upgrade=args.upgrade, upgrade_packages=args.upgrade_package, check=args.check,
                  progress=lambda stage, detail: out.info(f"{stage}: {detail}"))
    if args.json:
        out.json("lock", report.to_dict())
        return 0
    if args.check:
        out.info(f"{report.path.name} is up to date ({report.packages} packages)")
        return 0
    for name, version in report.added:
        out.info(f"+ {name} {version}")
    for name, old, new in report.updated:
        out.info(f"~ {name} {old} -> {new}")
    for name, version in report.removed:
        out.info(f"- {name} {version}")
    verb = "wrote" if report.written else "unchanged:"
    out.info(f"{verb} {report.path} ({report.packages} packages, {report.seconds:.2f} s)")
    return 0
