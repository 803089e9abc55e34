"""`corral hook [SHELL]`: print the rc-file snippet that activates a project's env on cd."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context

__all__ = ["configure", "corral_argv", "handle"]


def corral_argv() -> list[str]:
    """The command the hook should call: the `corral` program that is running, else `python -m corral`."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if program is not None and program.name in {"corral", "corral.exe"} and program.is_file():
        return [os.path.abspath(program)]
    return [sys.executable, "-m", "corral"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.cli.activate_cmd import shell_help

    parser.add_argument("shell", nargs="?", metavar="SHELL", help=shell_help(hook=True))


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Render the snippet."""
    from corral.cli.activate_cmd import choose_shell

    shell, _ = choose_shell(args.shell, ctx)
    out.stdout.write(shell.hook(corral=corral_argv()))
    return 0
