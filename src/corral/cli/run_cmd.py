"""`corral run CMD [ARGS...]`: sync if needed, then run CMD inside the env without activating it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from corral.cli.sync_cmd import add_sync_options, already_synced, run_sync, selection_from_args

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options; everything from CMD on belongs to CMD."""
    add_sync_options(parser)
    parser.add_argument("--no-sync", action="store_true", help="run without syncing first")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]", help="the program and its arguments")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Sync when the stamp says so, then exec CMD (its exit code becomes ours)."""
    from corral.errors import UsageError  # noqa: PLC0415
    from corral.services.run import execute, prepare  # noqa: PLC0415

    argv = list(args.cmd)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        msg = "nothing to run: give a command, e.g. `corral run python -V`"
        raise UsageError(msg)
    project = ctx.require_project()
    selection = selection_from_args(args)
    if not args.no_sync and not already_synced(args, ctx, selection):
        run_sync(args, ctx, out, selection)
    prepared = prepare(project.env_path, argv, ctx.environ)
    if prepared is None:
        out.error(f"command not found: {argv[0]} (looked in {project.env_path} and on PATH)")
        return 127
    return execute(prepared)
