"""`corral completion SHELL`: print a completion script generated from corral's own argparse tree.

No completion library: walking the parsers here costs nothing until this command runs, and the script asks
`corral __complete KIND` (cli/complete_cmd.py) for names that live in files (groups, extras, kernels).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from corral.render.completion import SHELLS

if TYPE_CHECKING:
    from corral.render.completion import CommandSpec, OptionSpec
    from corral.render.output import Output
    from corral.services.context import Context

__all__ = ["command_specs", "configure", "fast_path", "handle"]

# The value an option or argument takes, by its dest, where a name corral can list is meant.
_BY_DEST = {"group": "groups", "extra": "extras", "optional": "extras", "shell": "shells"}
_BY_KEY = {("kernel remove", "name"): "kernels", ("hook", "shell"): "shells", ("completion", "shell"): None}
_PATHS = {"FILE": "path", "PATH": "path", "DIR": "dir"}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument(
        "shell",
        choices=[*SHELLS, "pwsh"],
        metavar="SHELL",
        help=f"the shell to complete in: {', '.join(SHELLS)} (pwsh = powershell)",
    )


def _kind(key: str, action: argparse.Action) -> str | None:
    """What `action` takes: None (a flag), path/dir, =choices, a dynamic kind, or none."""
    if action.nargs == 0:
        return None
    if action.choices:
        return "=" + " ".join(str(c) for c in action.choices)
    if (key, action.dest) in _BY_KEY:
        return _BY_KEY[(key, action.dest)] or "none"
    if action.dest in _BY_DEST:
        return _BY_DEST[action.dest]
    if action.type is Path or str(action.metavar) in _PATHS:
        return _PATHS.get(str(action.metavar), "path")
    return "none"


def _walk(parser: argparse.ArgumentParser, key: str, text: str) -> list[CommandSpec]:
    from corral.render.completion import CommandSpec, OptionSpec

    options: list[OptionSpec] = []
    subs: list[tuple[str, str]] = []
    nested: list[CommandSpec] = []
    positional: str | None = None
    rest = False
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk of its tree
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            options.append(
                OptionSpec(flags=tuple(action.option_strings), help=str(action.help or ""), values=_kind(key, action))
            )
        elif isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - see above
            helps = {a.dest: str(a.help or "") for a in action._choices_actions}  # noqa: SLF001
            for name, sub in action.choices.items():
                subs.append((name, helps.get(name, "")))
                nested.extend(_walk(sub, f"{key} {name}".strip(), helps.get(name, "")))
        elif action.nargs == argparse.REMAINDER:
            rest = True
            positional = positional or "none"
        elif positional is None:
            positional = _kind(key, action)
    own = CommandSpec(
        key=key, help=text, options=tuple(options), subcommands=tuple(subs), positional=positional, rest=rest
    )
    return [own, *nested]


def command_specs() -> list[CommandSpec]:
    """Every visible command and action of corral, read from the parsers themselves."""
    from corral.cli.main import COMMANDS, HIDDEN, _top_parser, command_parser
    from corral.render.completion import CommandSpec

    top = _walk(_top_parser(), "", "")[0]
    names = [name for name in COMMANDS if name not in HIDDEN]
    specs = [
        CommandSpec(
            key="", help="", options=top.options, subcommands=tuple((name, COMMANDS[name][1]) for name in names)
        )
    ]
    for name in names:
        specs.extend(_walk(command_parser(name)[1], name, COMMANDS[name][1]))
    return specs


def fast_path(args: argparse.Namespace) -> int:
    """Print the script; no project or settings are read."""
    from corral import __version__
    from corral.render.completion import render_script
    from corral.render.output import Output

    shell = "powershell" if args.shell == "pwsh" else args.shell
    Output().stdout.write(render_script(shell, command_specs(), version=__version__))
    return 0


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:  # noqa: ARG001 - fast_path always answers
    """Print the script (fast_path does it before any context is built)."""
    return fast_path(args)
