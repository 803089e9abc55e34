"""The static table of built-in plugins (no entry-point scan at start-up)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from corral.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.core.protocols import Creator, Installer, Shell
    from corral.shells.detect import DetectedShell

__all__ = ["CREATORS", "ENGINES", "SHELLS", "detect_shell", "load_creator", "load_engine", "load_shell"]

# name -> "module:Class"; imported only when chosen.
CREATORS: dict[str, str] = {
    "uv": "corral.creators.uv:UvCreator",
    "venv": "corral.creators.venv:VenvCreator",
    "virtualenv": "corral.creators.virtualenv:VirtualenvCreator",
}

# Installer engines (corral.core.protocols.Installer).
ENGINES: dict[str, str] = {
    "uv": "corral.engines.uv:UvInstaller",
    "pip": "corral.engines.pip:PipInstaller",
}


# Shell languages (corral.core.protocols.Shell); several names share one class.
SHELLS: dict[str, str] = {
    "bash": "corral.shells.bash:BashShell",
    "zsh": "corral.shells.bash:ZshShell",
    "ksh": "corral.shells.bash:KshShell",
    "sh": "corral.shells.bash:ShShell",
    "fish": "corral.shells.fish:FishShell",
    "tcsh": "corral.shells.csh:TcshShell",
    "csh": "corral.shells.csh:TcshShell",
    "pwsh": "corral.shells.powershell:PowerShell",
    "powershell": "corral.shells.powershell:PowerShell",
    "cmd": "corral.shells.cmd:CmdShell",
    "nu": "corral.shells.nushell:NuShell",
    "xonsh": "corral.shells.xonsh:XonshShell",
}

def _load(table: dict[str, str], kind: str, name: str) -> object:
    target = table.get(name)
    if target is None:
        msg = f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(table))}"
        raise UsageError(msg)
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        msg = f"the {kind} {name!r} is not available in this corral build ({err.name} is missing)"
        raise UsageError(msg) from err
    return getattr(module, attr)()


def load_creator(name: str) -> Creator:
    """Instantiate the creator called `name`."""
    creator: Creator = _load(CREATORS, "creator", name)  # type: ignore[assignment]
    return creator


def load_engine(name: str) -> Installer:
    """Instantiate the installer engine called `name`."""
    engine: Installer = _load(ENGINES, "engine", name)  # type: ignore[assignment]
    return engine


def load_shell(name: str) -> Shell:
    """Instantiate the shell language called `name`; ShellError (listing the supported ones) when unknown."""
    if name not in SHELLS:
        from corral.errors import ShellError  # noqa: PLC0415 - only on the error path

        msg = f"unknown shell {name!r}; supported: {', '.join(sorted(SHELLS))} (pass one with --shell)"
        raise ShellError(msg)
    shell: Shell = _load(SHELLS, "shell", name)  # type: ignore[assignment]
    return shell


def detect_shell(environ: Mapping[str, str] | None = None) -> DetectedShell | None:
    """The user's shell (parent process, then $SHELL; COMSPEC/PSModulePath on Windows), or None."""
    from corral.shells.detect import detect_shell as _detect  # noqa: PLC0415

    return _detect(environ)
