"""`corral lock [--check] [--upgrade | --upgrade-package NAME]`.

`fast_path` runs before the command context is built and uses only the stdlib (`services.lock_stamp`): a lock
whose every input is unchanged since corral wrote it is reported unchanged without resolving again.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--check", action="store_true", help="exit 1 (changing nothing) when pylock.toml is stale")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--upgrade", "-U", action="store_true", help="ignore existing pins: newest allowed versions")
    how.add_argument(
        "--upgrade-package",
        "-P",
        action="append",
        default=[],
        metavar="NAME",
        help="release the pin of NAME (repeatable)",
    )
    parser.add_argument("--script", metavar="FILE", help="lock a PEP 723 script's dependencies to pylock.<name>.toml")
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def fast_path(args: argparse.Namespace) -> int | None:
    """Answer at once when pylock.toml is what a lock would write now (stdlib only); None: the full path."""
    if args.script or args.upgrade or args.upgrade_package:
        return None  # an upgrade asks the index again; a script has its own lock
    import os
    import time

    from corral.cli.lock_quick import unchanged_report

    started = time.monotonic()
    start = Path(args.directory).absolute() if args.directory else Path.cwd()
    report = unchanged_report(start, os.environ, started)
    if report is None:
        return None
    from corral.render.output import Output

    return _show(report, args, Output(quiet=args.quiet, verbose=args.verbose))


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Lock and say what changed."""
    if args.script:
        from corral.services.script_edit import lock_script

        done = lock_script(
            ctx,
            (ctx.cwd / args.script).absolute(),
            check=args.check,
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
        )
        count = f"{done.packages} package{'' if done.packages == 1 else 's'}"
        if args.json:
            out.json(
                "lock",
                {"script": args.script, "path": str(done.path), "written": done.written, "packages": done.packages},
            )
        elif args.check:
            out.info(f"{done.path.name} is up to date ({count})")
        else:
            out.info(f"{'wrote' if done.written else 'unchanged:'} {done.path} ({count})")
        return 0
    from corral.services.lock import lock

    with out.progress() as progress:
        report = lock(
            ctx, upgrade=args.upgrade, upgrade_packages=args.upgrade_package, check=args.check, progress=progress
        )
    code = _show(report.to_dict(), args, out)
    if not args.check:
        _record_unchanged(args)
    return code


def _record_unchanged(args: argparse.Namespace) -> None:
    """After a lock: the stamp's no-op check, now, so that the next plain `corral lock` is answered at once.

    It writes the quick lock record only when the stamp says unchanged (`lock_quick.unchanged_report`); the lock and
    the stamp just written are young, and it takes them on the bytes the check judged. Never fails the command.
    """
    import contextlib
    import os
    import time

    from corral.cli.lock_quick import unchanged_report

    start = Path(args.directory).absolute() if args.directory else Path.cwd()
    with contextlib.suppress(Exception):  # a record only saves the next command time
        unchanged_report(start, os.environ, time.monotonic())


def _show(report: dict[str, Any], args: argparse.Namespace, out: Output) -> int:
    """Say what a lock run did (`LockReport.to_dict()`'s shape)."""
    from corral.cli.streams import point_of_no_return

    point_of_no_return()  # the lock is written: a Ctrl-C now must not leave `"ok": true` and a death by SIGINT
    path = Path(report["path"])
    if args.json:
        out.json("lock", report)
        return 0
    if args.check:
        count = report["packages"]
        out.info(f"{path.name} is up to date ({count} package{'' if count == 1 else 's'})")
        return 0
    for item in report["added"]:
        out.info(f"+ {item['name']} {item['version']}")
    for item in report["updated"]:
        out.info(f"~ {item['name']} {item['old']} -> {item['new']}")
    for item in report["removed"]:
        out.info(f"- {item['name']} {item['version']}")
    verb = "wrote" if report["written"] else "unchanged:"
    count = report["packages"]
    out.info(f"{verb} {path} ({count} package{'' if count == 1 else 's'}, {report['seconds']:.2f} s)")
    return 0
