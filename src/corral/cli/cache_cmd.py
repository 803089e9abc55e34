"""`corral cache dir|info|prune|clean`: corral's own cache folder (records, stamps, caches), shown and cleaned up."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.cache import CleanReport
    from corral.services.cache_prune import PruneReport
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    where = sub.add_parser("dir", help="print corral's cache folder")
    where.add_argument("--json", action="store_true", help="machine-readable output")
    info = sub.add_parser("info", help="size and count of each kind of record in the cache, and the total")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    prune = sub.add_parser(
        "prune",
        help="remove what is provably stale: records of gone or changed projects, uv inputs nothing replays, "
        "caches unused for --older-than",
    )
    prune.add_argument(
        "--older-than",
        default="30d",
        metavar="AGE",
        help="caches nothing else vouches for, unused this long (30d, 12h, 2w; default 30d)",
    )
    prune.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    prune.add_argument("--json", action="store_true", help="machine-readable output")
    clean = sub.add_parser(
        "clean", help="remove all of corral's cache (every command rebuilds what it needs; lock files stay)"
    )
    clean.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    clean.add_argument("--json", action="store_true", help="machine-readable output")
    from corral.cli.main import add_verbosity

    for action in (where, info, prune, clean):  # -v and -q after the action too (`corral cache clean -v`)
        add_verbosity(action, verbose_help="also say what was kept")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Dispatch to the chosen action."""
    action = {"dir": _dir, "info": _info, "prune": _prune, "clean": _clean}[args.action]
    return action(args, ctx, out)


def _dir(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    path = ctx.paths.cache  # services.cache.cache_dir without its imports (dataclasses, rmtree: ~30 ms)
    if args.json:
        out.json("cache dir", {"path": str(path)})
    else:
        out.line(str(path))
    return 0


def _info(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.render.output import human_size, one_line
    from corral.services.cache import info

    found = info(ctx)
    if args.json:
        out.json("cache info", found.to_dict())
        return 0
    if not found.exists:
        out.info(f"{found.path} does not exist yet: the cache is empty")
        return 0
    rows = [[k.kind, str(k.entries), human_size(k.bytes), k.what] for k in found.kinds if k.entries or k.bytes]
    out.table(["KIND", "ENTRIES", "SIZE", "WHAT"], rows, footer=f"{human_size(found.total)} in {found.path}")
    for kind in found.kinds:
        if kind.foreign:
            out.info(f"{kind.kind}: {len(kind.foreign)} entr{'y' if len(kind.foreign) == 1 else 'ies'} not corral's")
    if found.other:
        out.info(f"not corral's (left alone): {', '.join(one_line(name) for name in found.other)}")
    return 0


def _prune(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.cache_prune import prune
    from corral.services.envs import parse_age

    report = prune(ctx, older_than=parse_age(args.older_than), dry_run=args.dry_run)
    return _report("cache prune", report, args, out)


def _clean(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.cache import clean

    report = clean(ctx, dry_run=args.dry_run)
    return _report("cache clean", report, args, out)


def _report(command: str, report: CleanReport | PruneReport, args: argparse.Namespace, out: Output) -> int:
    from corral.render.output import human_size, one_line

    if args.json:
        out.json(command, report.to_dict())
        return 0
    verb = "would remove" if report.dry_run else "removed"
    for removal in report.removed:
        out.line(f"{verb} {one_line(removal.path)}  {human_size(removal.bytes)}  ({one_line(removal.why)})")
    if out.verbose:
        for note in report.kept:  # a name in the cache may hold a newline: one entry, one line
            out.info(f"kept {one_line(note)}")
    count = len(report.removed)
    out.info(
        f"{verb} {count} entr{'y' if count == 1 else 'ies'}, {human_size(report.freed)}"
        + (f"; kept {len(report.kept)} (-v says why)" if report.kept and not out.verbose else "")
    )
    return 0
