"""`corral run CMD [ARGS...]`: sync if needed, then run CMD inside the env without activating it."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from corral.cli.sync_cmd import add_sync_options, run_sync, selection_from_args, synced_env

if TYPE_CHECKING:
    from pathlib import Path

    from corral.render.output import Output
    from corral.services.context import Context

EXIT_NOT_FOUND = 127


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options; everything from CMD on belongs to CMD."""
    add_sync_options(parser)
    parser.add_argument("--no-sync", action="store_true", help="run without syncing first")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]", help="the program and its arguments")


def _argv(args: argparse.Namespace) -> list[str]:
    argv = list(args.cmd)
    return argv[1:] if argv and argv[0] == "--" else argv


def _exec(env: Path, argv: list[str], quiet: bool) -> int:
    from corral.services.run import execute, prepare  # noqa: PLC0415

    prepared = prepare(env, argv, os.environ)
    if prepared is None:
        from corral.render.output import Output  # noqa: PLC0415

        Output(quiet=quiet).error(f"command not found: {argv[0]} (looked in {env} and on PATH)")
        return EXIT_NOT_FOUND
    return execute(prepared)


def fast_path(args: argparse.Namespace) -> int | None:
    """Exec CMD at once when the env is already in sync (stdlib only); None takes the full path."""
    if not _argv(args):
        return None
    env = synced_env(args)
    return None if env is None else _exec(env, _argv(args), args.quiet)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Sync unless told not to, then exec CMD (its exit code becomes ours)."""
    from corral.errors import UsageError  # noqa: PLC0415

    argv = _argv(args)
    if not argv:
        msg = "nothing to run: give a command, e.g. `corral run python -V`"
        raise UsageError(msg)
    project = ctx.require_project()
    if not args.no_sync:
        run_sync(args, ctx, out, selection_from_args(args))
    return _exec(project.env_path, argv, args.quiet)
