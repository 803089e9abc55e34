"""The static table of built-in plugins (no entry-point scan at start-up)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from corral.errors import UsageError

if TYPE_CHECKING:
    from corral.core.protocols import Creator, Installer

__all__ = ["CREATORS", "ENGINES", "load_creator", "load_engine"]

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
