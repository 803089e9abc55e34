"""The small contracts plugins implement (creators, installer engines; shells join them).

Each plugin answers a capability question with a *reason* (`None` means "I can") and does one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan

__all__ = ["CreateRequest", "Creator", "Installer"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CreateRequest:
    """Everything a creator needs; the interpreter is the exact one corral chose."""

    dest: Path
    interpreter: InterpreterInfo
    system_site_packages: bool = False
    prompt: str | None = None
    seed: bool = True
    environ: Mapping[str, str] | None = None


class Creator(Protocol):
    """Makes a PEP 405 environment."""

    name: str

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Why this creator cannot serve `interpreter`, or None when it can.

        Args:
            interpreter: the identified target interpreter.

        Returns:
            A reason a user can read, or None.

        """

    def create(self, request: CreateRequest) -> None:
        """Create the env at `request.dest` (which does not exist yet).

        Raises:
            EngineError: the underlying tool failed.

        """


class Installer(Protocol):
    """Installs exact, hash-checked files into an env and removes distributions from it (no resolution)."""

    name: str

    def cannot_install(self, env: Path, interpreter: InterpreterInfo | None = None) -> str | None:
        """Why this engine cannot serve the env at `env` (run by `interpreter`), or None when it can."""

    def apply(
        self,
        env_python: Path,
        plan: SyncPlan,
        *,
        offline: bool = False,
        progress: Callable[[str, str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Install `plan.to_install` (dependency resolution off, hashes required), then remove `plan.remove`.

        Raises:
            EngineError: the tool failed; the message names the failing requirement when it can.
        """

    def install_editable(self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None,
                         offline: bool = False) -> None:
        """Install the project at `project_root` editable, without its dependencies."""
