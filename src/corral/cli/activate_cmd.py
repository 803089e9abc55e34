"""`corral activate [--env PATH] [--shell NAME]`: print the code that activates the env in the user's shell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.core.protocols import Shell
    from corral.render.output import Output
    from corral.services.context import Context

__all__ = ["add_shell_options", "choose_shell", "configure", "handle", "shell_help", "usage_line"]


def usage_line(name: str, cmd: str) -> str:
    """How a user of shell `name` runs `corral {cmd}`'s output (bash's way for a name corral does not know)."""
    from corral.plugins import SHELLS, shell_row

    found = shell_row(name)
    return (found[1] if found else SHELLS["bash"]).usage.format(cmd=cmd)


def shell_help(*, hook: bool = False) -> str:
    """The shells --shell accepts (`tcsh/csh`: one shell, two spellings); with `hook`, only those with a cd-hook."""
    from corral.plugins import SHELLS

    rows = [(name, row) for name, row in SHELLS.items() if row.hook or not hook]
    names = [name if hook else "/".join((name, *row.spellings)) for name, row in rows]
    return ", ".join(names) + " (default: detected)"


def add_shell_options(parser: argparse.ArgumentParser, *, env: bool = True) -> None:
    """--shell (and --env)."""
    parser.add_argument("--shell", metavar="NAME", help=shell_help())
    if env:
        parser.add_argument("--env", type=Path, metavar="PATH", help="this env instead of the project's")


def choose_shell(name: str | None, ctx: Context) -> tuple[Shell, str]:
    """The Shell for --shell or the detected one, and its name as given."""
    from corral.errors import ShellError
    from corral.plugins import detect_shell, load_shell

    if name is None:
        found = detect_shell(ctx.environ)
        if found is None:
            msg = "cannot tell which shell you use (no known parent process, no $SHELL); pass --shell NAME"
            raise ShellError(msg)
        name = found.name
    return load_shell(name.lower()), name.lower()


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    add_shell_options(parser)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Render the activation for the chosen shell."""
    from corral.services.activation import activate_change, resolve_env

    shell, name = choose_shell(args.shell, ctx)
    root = resolve_env(ctx, args.env)
    out.stdout.write(shell.render(activate_change(root, ctx.environ)))
    if out.stdout.isatty():
        out.info(f"this is {name} code for your shell to run; activate with: {usage_line(name, 'activate')}")
    return 0
