"""`corral shell [--env PATH] [--shell NAME]`: a subshell of the user's own shell with the env active."""

from __future__ import annotations

import argparse
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.cli.activate_cmd import add_shell_options

    add_shell_options(parser)


def _program(name: str, detected: str | None) -> str:
    from corral.errors import ShellError
    from corral.plugins import shell_programs

    if detected:
        return detected
    for candidate in shell_programs(name):
        found = shutil.which(candidate)
        if found:
            return found
    msg = f"cannot find the {name} program on PATH; install it or pass another --shell"
    raise ShellError(msg)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Refuse nesting, build the plan, run the shell, pass its exit code through."""
    from corral.cli.activate_cmd import choose_shell
    from corral.errors import ShellError
    from corral.plugins import detect_shell
    from corral.services.activation import activate_change, apply_change, resolve_env, spawn_subshell

    current = ctx.environ.get("CORRAL_SHELL")
    if current:
        msg = f"already inside a corral shell for {current}; type `exit` to leave it, then run `corral shell` again"
        raise ShellError(msg)
    root = resolve_env(ctx, args.env)
    detected = None if args.shell else detect_shell(ctx.environ)
    shell, name = choose_shell(args.shell or (detected.name if detected else None), ctx)
    program = _program(name, detected.executable if detected else None)
    change = activate_change(root, ctx.environ)
    child = apply_change(ctx.environ, change)
    child["CORRAL_SHELL"] = str(root)
    plan = shell.subshell(executable=program, init=shell.render(change), environ=child)
    out.info(f"entering {name} with {root} active; type `exit` to return")
    code = spawn_subshell(plan)
    out.info(f"left the corral shell for {root}")
    return code
