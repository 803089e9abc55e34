"""`corral deactivate [--shell NAME]`: print the code that deactivates the active env (VIRTUAL_ENV)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.cli.activate_cmd import add_shell_options

    add_shell_options(parser, env=False)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Render the deactivation for the chosen shell."""
    from corral.cli.activate_cmd import choose_shell, usage_line
    from corral.services.activation import deactivate_change

    shell, name = choose_shell(args.shell, ctx)
    change = deactivate_change(ctx.environ)
    if change is None:
        out.info("no environment is active (VIRTUAL_ENV is not set); nothing to deactivate")
        return 0
    out.stdout.write(shell.render(change))
    if out.stdout.isatty():
        out.info(f"this is {name} code for your shell to run; deactivate with: {usage_line(name, 'deactivate')}")
    return 0
