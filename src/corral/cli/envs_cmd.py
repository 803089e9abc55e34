"""`corral envs list|scan|gc|rm`: every environment on this machine, and safe clean-up."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context
    from corral.services.envs import GcPlan, Listing

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
# seconds `envs list` may spend on health checks and on measuring the sizes the cache does not hold, before it
# shows the rest as not measured yet (and measures them in the background); with start-up and output, a listing
# of 1 000 envs ends within about a second. CORRAL_SIZE_BUDGET overrides it ("inf": wait for every size).
_BUDGET = 0.6


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="every known env with size, Python, project, last use and health")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--sort", choices=["size", "used", "python"], default="used", help="row order (default: used)")
    ls.add_argument(
        "--refresh",
        action="store_true",
        help="measure every env's size again and wait for all (sizes are cached until an install, uninstall or "
        "sync changes the env)",
    )
    ls.add_argument(
        "--wait",
        action="store_true",
        help="wait for every size not in the cache (by default a listing measures for a moment and leaves the rest "
        "to a background process for the next one)",
    )
    scan = sub.add_parser("scan", help="find envs made by any tool and add them to the inventory (read-only)")
    scan.add_argument(
        "folders",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="folders to search (default: home and the usual tool locations)",
    )
    scan.add_argument("--json", action="store_true", help="machine-readable output")
    gc = sub.add_parser("gc", help="remove unused throwaway envs, envs of vanished projects, broken corral envs")
    gc.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    gc.add_argument("--older-than", default="30d", metavar="AGE", help="throwaway envs unused this long (30d, 12h, 2w)")
    gc.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    gc.add_argument("--json", action="store_true", help="machine-readable output")
    rm = sub.add_parser("rm", help="remove one env (only a folder corral can prove is an env)")
    rm.add_argument("path", type=Path, metavar="PATH")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rm.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Dispatch to the chosen action."""
    action = {"list": _list, "scan": _scan, "gc": _gc, "rm": _rm}[args.action]
    return action(args, ctx, out)


def tilde(path: str, home: str | None = None) -> str:
    """Abbreviate the home folder to ~."""
    home = home if home is not None else os.path.expanduser("~")
    if home and home != os.sep and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)) :]
    return path


def ago(when: float | None, now: float | None = None) -> str:
    """'3 days ago' style."""
    if when is None:
        return "never"
    seconds = max(0.0, (now or time.time()) - when)
    for limit, unit, size in (
        (_MINUTE, "", 0),
        (_HOUR, "minute", _MINUTE),
        (_DAY, "hour", _HOUR),
        (14 * _DAY, "day", _DAY),
        (60 * _DAY, "week", 7 * _DAY),
        (730 * _DAY, "month", 30 * _DAY),
    ):
        if seconds < limit:
            if not unit:
                return "just now"
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    years = int(seconds // (365 * _DAY))
    return f"{years} years ago"


def _list(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.render.output import human_size
    from corral.services.envs import list_envs

    wait = args.wait or args.refresh

    def progress(known: int, total: int) -> None:
        out.info(f"measuring sizes: {known} of {total} envs")

    listing: Listing = list_envs(
        ctx,
        sort=args.sort,
        refresh=args.refresh,
        budget=None if wait else _budget(ctx),
        background=not wait,
        progress=progress,
    )
    for path in listing.forgotten:
        out.info(f"forgot {path}: the folder is gone")
    now = time.time()
    if args.json:
        out.json(
            "envs list",
            {
                "envs": [r.to_dict(now) for r in listing.rows],
                "total": listing.total,
                "unmeasured": listing.unmeasured,
                "measuring": listing.measuring,
            },
        )
        return 0
    if not listing.rows:
        out.info(
            "no environments known yet; create one with `corral venv` or find existing ones with `corral envs scan`"
        )
        return 0
    home = str(ctx.environ.get("HOME") or os.path.expanduser("~"))
    rows = [
        [
            tilde(r.record.path, home),
            r.record.kind,
            r.record.version or "?",
            tilde(r.record.project, home) if r.record.project else "-",
            human_size(r.size),
            ago(r.record.last_used, now),
            r.health,
        ]
        for r in listing.rows
    ]
    out.table(
        ["PATH", "KIND", "PYTHON", "PROJECT", "SIZE", "LAST USED", "HEALTH"],
        rows,
        footer=f"{len(rows)} env{'s' if len(rows) != 1 else ''}" + _size_note(listing) + _cached_note(listing, now),
    )
    if listing.unmeasured:
        out.info(_unmeasured_note(listing))
    for row in listing.rows:
        if row.health != "ok" and row.reason:
            out.info(f"{tilde(row.record.path, home)}: {row.health}: {row.reason}")
    return 0


def _budget(ctx: Context) -> float | None:
    """Seconds a listing may spend measuring sizes (None: no limit)."""
    text = ctx.environ.get("CORRAL_SIZE_BUDGET", "").strip()
    try:
        value = float(text) if text else _BUDGET
    except ValueError:
        from corral.errors import UsageError

        msg = f"CORRAL_SIZE_BUDGET={text!r} is not a number of seconds; write one (0.5, or inf to wait) or unset it"
        raise UsageError(msg) from None
    return None if value == float("inf") else max(0.0, value)


def _size_note(listing: Listing) -> str:
    """', 7.9 MB on disk (files shared...)' for the footer; '' when no size was measured (not "0 B in the 0")."""
    measured = len(listing.rows) - listing.unmeasured
    if not measured:
        return ""  # the unmeasured note below says why and how to get them
    from corral.render.output import human_size

    of = f" in the {measured} measured" if listing.unmeasured else ""
    return f", {human_size(listing.total)} on disk{of} (files shared by hard links counted once)"


def _unmeasured_note(listing: Listing) -> str:
    """The line that says which sizes are missing from the listing and how to get them."""
    count = listing.unmeasured
    envs = f"{count} env{'s' if count != 1 else ''}"
    then = (
        "measuring them in the background for the next listing; `corral envs list --wait` waits for them"
        if listing.measuring
        else "`corral envs list --wait` measures them"
    )
    return f"sizes of {envs} not measured yet (? in SIZE, not in the total): {then}"


def _cached_note(listing: Listing, now: float) -> str:
    """'; sizes of N envs from the cache (oldest measured 3 days ago; --refresh measures again)', or ''."""
    cached = [r.size_measured_at for r in listing.rows if r.size_cached and r.size_measured_at is not None]
    if not cached:
        return ""
    envs = f"{len(cached)} env{'s' if len(cached) != 1 else ''}"
    return f"; sizes of {envs} from the cache (oldest measured {ago(min(cached), now)}; --refresh measures again)"


def _scan(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.envs import scan_envs

    def progress(folders: int, found: int) -> None:
        out.info(f"scanning: {folders} folders looked into, {found} env(s) found so far")

    result = scan_envs(ctx, args.folders, progress=progress)
    if args.json:
        out.json(
            "envs scan",
            {
                "roots": result.roots,
                "added": result.added,
                "updated": result.updated,
                "found": [
                    {
                        "path": str(f.path),
                        "kind": f.kind,
                        "creator": f.creator,
                        "version": f.version,
                        "project": f.project,
                        "by_corral": f.by_corral,
                    }
                    for f in result.found
                ],
            },
        )
        return 0
    for found in result.found:
        out.line(f"{found.path}  {found.kind}  {found.creator}  {found.version or '?'}")
    out.info(
        f"found {len(result.found)} env(s) under {len(result.roots)} folder(s); "
        f"{result.added} new to the inventory" + (f", {result.updated} now on another Python" if result.updated else "")
    )
    return 0


def _confirm(out: Output, question: str, *, yes: bool, refusal: str) -> bool:
    """True to go on, False when the user said no; without a terminal to ask on, `refusal` as a usage error (exit 2).

    The same rule as every confirmation (cli/doctor_cmd.confirmer): a missing --yes is the user's to fix.
    """
    if yes:
        return True
    if not sys.stdin.isatty():
        from corral.errors import UsageError

        raise UsageError(refusal)
    out.stderr.write(f"{question} [y/N] ")
    out.stderr.flush()
    return input().strip().lower() in {"y", "yes"}


def _gc(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.render.output import human_size
    from corral.services.envs import parse_age, plan_gc, run_gc

    plan: GcPlan = plan_gc(ctx, older_than=parse_age(args.older_than))
    for path, reason in plan.refused:
        out.info(f"keeping {path}: {reason}")
    for item in plan.items:
        out.line(f"{'would remove' if args.dry_run else 'remove'} {item.path}  {human_size(item.size)}  ({item.why})")
    summary = f"{len(plan.items)} env(s), {human_size(plan.freed)} to free"
    if args.json and args.dry_run:
        out.json(
            "envs gc",
            {
                "dry_run": True,
                "remove": [i.to_dict() for i in plan.items],
                "freed": plan.freed,
                "refused": [{"path": p, "reason": r} for p, r in plan.refused],
                "forget": plan.gone,
            },
        )
        return 0
    if args.dry_run or not (plan.items or plan.gone or plan.trash):
        out.info(summary + (" (dry run: nothing changed)" if args.dry_run else ""))
        return 0
    if plan.items:
        answer = _confirm(
            out,
            f"remove {summary}?",
            yes=args.yes,
            refusal=f"not removing {summary} without --yes (no terminal to ask on); "
            "run `corral envs gc --yes`, or --dry-run to review",
        )
        if not answer:
            out.info("nothing removed")
            return 1
    removed, failed = run_gc(ctx, plan)
    from corral.services.cache_prune import prune

    cache = prune(ctx)  # the records and caches of the projects whose envs just went, and anything else stale
    for path, error in failed:
        out.warn(f"{path}: {error}")
    out.info(
        f"removed {len(removed)} env(s), freed {human_size(sum(i.size for i in removed))}; "
        f"forgot {len(plan.gone)} record(s) of vanished folders; "
        f"pruned {len(cache.removed)} stale cache entr{'y' if len(cache.removed) == 1 else 'ies'} "
        f"({human_size(cache.freed)})"
    )
    return 1 if failed else 0


def _rm(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.render.output import human_size
    from corral.services.envs import check_removal, remove

    path = args.path if args.path.is_absolute() else ctx.cwd / args.path
    freed = check_removal(ctx, path)
    answer = _confirm(
        out,
        f"remove {path} ({human_size(freed)})?",
        yes=args.yes,
        refusal=f"not removing {path} ({human_size(freed)}) without --yes (no terminal to ask on); "
        f"run `corral envs rm {args.path} --yes`",
    )
    if not answer:
        out.info("nothing removed")
        return 1
    remove(ctx, path)
    from corral.services.kernels import remove_kernels_of_removed_env

    kernels = remove_kernels_of_removed_env(ctx, path, remove=args.yes)
    if args.json:
        out.json(
            "envs rm",
            {"removed": str(path), "freed": freed, "kernels": [{"name": name, "what": what} for name, what in kernels]},
        )
        return 0
    out.info(f"removed {path}, freed {human_size(freed)}")
    for name, what in kernels:
        out.info(f"Jupyter kernel {name!r} started this env: {what}")
    return 0
