"""`corral x [--from PKG] TOOL [ARGS...]`: run a command-line tool from its own cached env."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--from", dest="from_package", metavar="PKG", help="package that provides TOOL")
    parser.add_argument("--python", "-p", metavar="SPEC", help="interpreter for the tool's env")
    parser.add_argument("tool", help="the command to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the tool")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Build the tool env once, then exec the tool."""
    from corral.services.ephemeral import tool_env, tool_executable
    from corral.services.run import execute, prepare

    env = tool_env(ctx, args.tool, from_package=args.from_package, python=args.python)
    if env.created:
        out.info(f"built the env for {args.from_package or args.tool} in {env.path}")
    exe = tool_executable(env.path, args.tool)
    where = os.path.abspath(args.directory) if args.directory else None  # `-C DIR`: the tool runs there
    prepared = prepare(env.path, [str(exe), *args.args], os.environ, cwd=where)
    assert prepared is not None  # noqa: S101 - tool_executable proved the file exists
    return execute(prepared)
