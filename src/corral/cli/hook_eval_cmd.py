"""`corral hook-eval SHELL` (internal): called by the hook when $PWD changed; prints what to (de)activate."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("shell", metavar="SHELL")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Decide and render; print nothing when nothing changes."""
    from corral.plugins import load_shell
    from corral.services.hook import decide

    shell = load_shell(args.shell)
    decision = decide(ctx.cwd, ctx.environ, lambda: ctx.paths)
    if decision.note:
        out.info(decision.note)
    if decision.change is not None:
        out.stdout.write(shell.render(decision.change))
    return 0
