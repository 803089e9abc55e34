"""`corral activate [--env PATH] [--shell NAME]`: print the code that activates the env in the user's shell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.core.protocols import Shell
    from corral.render.output import Output
    from corral.services.context import Context

__all__ = ["USAGE", "add_shell_options", "choose_shell", "configure", "handle"]

# How each shell evaluates corral's output (`{cmd}` is activate or deactivate).
USAGE = {
    "bash": 'eval "$(corral {cmd})"', "zsh": 'eval "$(corral {cmd})"', "ksh": 'eval "$(corral {cmd})"',
    "sh": 'eval "$(corral {cmd})"', "fish": "corral {cmd} | source", "tcsh": 'eval "`corral {cmd}`"',
    "csh": 'eval "`corral {cmd}`"', "pwsh": "corral {cmd} | Out-String | Invoke-Expression",
    "powershell": "corral {cmd} | Out-String | Invoke-Expression",
    "cmd": "FOR /F \"delims=\" %i IN ('corral {cmd}') DO @%i", "nu": "corral-{cmd}  (defined by `corral hook nu`)",
    "xonsh": "execx($(corral {cmd}))",
}


def add_shell_options(parser: argparse.ArgumentParser, *, env: bool = True) -> None:
    """--shell (and --env)."""
    parser.add_argument("--shell", metavar="NAME",
                        help="bash, zsh, ksh, sh, fish, tcsh/csh, pwsh/powershell, cmd, nu, xonsh (default: detected)")
    if env:
        parser.add_argument("--env", type=Path, metavar="PATH", help="this env instead of the project's")


def choose_shell(name: str | None, ctx: Context) -> tuple[Shell, str]:
    """The Shell for --shell or the detected one, and its name as given."""
    from corral.errors import ShellError  # noqa: PLC0415
    from corral.plugins import detect_shell, load_shell  # noqa: PLC0415

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
    from corral.services.activation import activate_change, resolve_env  # noqa: PLC0415

    shell, name = choose_shell(args.shell, ctx)
    root = resolve_env(ctx, args.env)
    out.stdout.write(shell.render(activate_change(root, ctx.environ)))
    if out.stdout.isatty():
        out.info(f"this is {name} code for your shell to run; activate with: {USAGE[name].format(cmd='activate')}")
    return 0
