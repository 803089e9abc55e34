"""The static tables of built-in plugins (no entry-point scan at start-up).

Every family is one table here; a row names a member, the `module:Class` imported only when that member is
chosen, and the little the command line needs before that. Every `--engine`/`--creator`/`--shell` choice, help
text, setting check, auto order and fallback is read from these tables, so adding a member is its module plus one
row. This module imports nothing but the stdlib's `typing` (a parser's `--help` and the no-op sync read it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from corral.core.protocols import Creator, Installer, Shell
    from corral.shells.detect import DetectedShell

__all__ = [
    "CREATORS",
    "ENGINES",
    "RESOLVERS",
    "SHELLS",
    "ShellRow",
    "default_engine",
    "detect_shell",
    "engine_fallbacks",
    "load_creator",
    "load_engine",
    "load_resolver",
    "load_shell",
    "one_of",
    "shell_aliases",
    "shell_names",
    "shell_programs",
    "shell_row",
]

# Env creators (corral.core.protocols.Creator): name -> "module:Class". The order is the auto order: without
# --creator or the `creator` setting, the first one that can serve the interpreter makes the env.
CREATORS: dict[str, str] = {
    "native": "corral.creators.native:NativeCreator",  # uv's layout written in-process (no process started)
    "uv": "corral.creators.uv:UvCreator",
    "venv": "corral.creators.venv:VenvCreator",
    "virtualenv": "corral.creators.virtualenv:VirtualenvCreator",
}

# Installer engines (corral.core.protocols.Installer): name -> "module:Class". The first is the default of the
# `engine` setting; when the engine the settings chose cannot serve an env, the ones after it are tried in order
# (an engine named by --engine is never replaced).
ENGINES: dict[str, str] = {
    "uv": "corral.engines.uv:UvInstaller",
    "pip": "corral.engines.pip:PipInstaller",
}

# Resolvers (what turns a project's requirements into pylock.toml's packages): name -> "module:Class", each with
# `cannot_resolve(interpreter)` and `resolve(request)`. `corral.resolvers.resolver_for` names the one per Python.
RESOLVERS: dict[str, str] = {
    "uv": "corral.resolvers.uv:UvResolver",
    "pip-tools": "corral.resolvers.legacy:PipToolsResolver",
}


class ShellRow:
    """A shell language: its class, and what the command line and detection need to know before loading it.

    A plain class, not a NamedTuple: building one of those costs ~1 ms at import, on every `corral run`.
    """

    __slots__ = ("aliases", "hook", "programs", "spellings", "target", "usage")

    def __init__(
        self,
        target: str,
        usage: str,
        *,
        spellings: tuple[str, ...] = (),
        programs: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
        hook: bool = True,
    ) -> None:
        self.target = target  # "module:Class" (corral.core.protocols.Shell), imported only when chosen
        self.usage = usage  # how a user of this shell runs corral's output; `{cmd}` is activate or deactivate
        self.spellings = spellings  # other names --shell accepts for it
        self.programs = programs  # what `corral shell` looks for on PATH (default: the name)
        self.aliases = aliases  # other program or process names detection takes for it
        self.hook = hook  # `corral hook` prints a cd-hook for it


_EVAL = 'eval "$(corral {cmd})"'
_PWSH = "corral {cmd} | Out-String | Invoke-Expression"

# Shell languages, by corral's name for each (the name detection reports).
SHELLS: dict[str, ShellRow] = {
    "bash": ShellRow("corral.shells.bash:BashShell", _EVAL),
    "zsh": ShellRow("corral.shells.bash:ZshShell", _EVAL),
    "ksh": ShellRow("corral.shells.bash:KshShell", _EVAL, aliases=("ksh93", "mksh", "pdksh", "lksh", "oksh")),
    "sh": ShellRow("corral.shells.bash:ShShell", _EVAL, aliases=("dash", "ash", "busybox")),
    "fish": ShellRow("corral.shells.fish:FishShell", "corral {cmd} | source"),
    "tcsh": ShellRow("corral.shells.csh:TcshShell", 'eval "`corral {cmd}`"', spellings=("csh",)),
    "pwsh": ShellRow(
        "corral.shells.powershell:PowerShell",
        _PWSH,
        spellings=("powershell",),
        programs=("pwsh", "powershell"),
        aliases=("pwsh-preview",),
    ),
    "cmd": ShellRow(
        "corral.shells.cmd:CmdShell",
        "FOR /F \"delims=\" %i IN ('corral {cmd}') DO @%i",
        programs=("cmd.exe", "cmd"),
        hook=False,
    ),
    "nu": ShellRow(
        "corral.shells.nushell:NuShell", "corral-{cmd}  (defined by `corral hook nu`)", aliases=("nushell",)
    ),
    "xonsh": ShellRow("corral.shells.xonsh:XonshShell", "execx($(corral {cmd}))"),
}


def one_of(names: Iterable[str]) -> str:
    """`a, b or c`, for help texts."""
    listed = list(names)
    return ", ".join(listed[:-1]) + " or " + listed[-1] if len(listed) > 1 else "".join(listed)


def default_engine() -> str:
    """The engine used when neither --engine nor the `engine` setting names one."""
    return next(iter(ENGINES))


def engine_fallbacks(name: str) -> list[str]:
    """The engines tried, in order, when `name` (chosen by the settings) cannot serve an env."""
    names = list(ENGINES)
    return names[names.index(name) + 1 :] if name in names else []


def shell_names() -> list[str]:
    """Every name --shell accepts, in table order (each shell, then its other spellings)."""
    return [n for name, row in SHELLS.items() for n in (name, *row.spellings)]


def shell_row(name: str) -> tuple[str, ShellRow] | None:
    """The shell --shell means by `name` (its own name or a spelling): its name and row; None when unknown."""
    for canonical, row in SHELLS.items():
        if name == canonical or name in row.spellings:
            return canonical, row
    return None


def shell_aliases() -> dict[str, str]:
    """Every program or process name a shell goes by -> corral's name for it (what detection compares)."""
    return {alias: name for name, row in SHELLS.items() for alias in (name, *row.spellings, *row.aliases)}


def shell_programs(name: str) -> tuple[str, ...]:
    """The programs to look for on PATH for `--shell name`: that spelling first, then the shell's own programs."""
    found = shell_row(name)
    if found is None:
        return (name,)
    canonical, row = found
    own = row.programs or (canonical,)
    return own if name == canonical else tuple(dict.fromkeys((name, *own)))


def _instantiate(target: str, kind: str, name: str) -> object:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        from corral.errors import UsageError

        msg = f"the {kind} {name!r} is not available in this corral build ({err.name} is missing)"
        raise UsageError(msg) from err
    return getattr(module, attr)()


def _load(table: Mapping[str, str], kind: str, name: str) -> object:
    target = table.get(name)
    if target is None:
        from corral.errors import UsageError

        msg = f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(table))}"
        raise UsageError(msg)
    return _instantiate(target, kind, name)


def load_creator(name: str) -> Creator:
    """Instantiate the creator called `name`."""
    creator: Creator = _load(CREATORS, "creator", name)  # type: ignore[assignment]
    return creator


def load_engine(name: str) -> Installer:
    """Instantiate the installer engine called `name`."""
    engine: Installer = _load(ENGINES, "engine", name)  # type: ignore[assignment]
    return engine


def load_resolver(name: str) -> object:
    """Instantiate the resolver called `name` (its request type is its own: resolvers/uv.py, resolvers/legacy.py)."""
    return _load(RESOLVERS, "resolver", name)


def load_shell(name: str) -> Shell:
    """Instantiate the shell language called `name`; ShellError (listing the supported ones) when unknown."""
    found = shell_row(name)
    if found is None:
        from corral.errors import ShellError

        msg = f"unknown shell {name!r}; supported: {', '.join(sorted(shell_names()))} (pass one with --shell)"
        raise ShellError(msg)
    shell: Shell = _instantiate(found[1].target, "shell", name)  # type: ignore[assignment]
    return shell


def detect_shell(environ: Mapping[str, str] | None = None) -> DetectedShell | None:
    """The user's shell (parent process, then $SHELL; COMSPEC/PSModulePath on Windows), or None."""
    from corral.shells.detect import detect_shell as _detect

    return _detect(environ)
