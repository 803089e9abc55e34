"""The small contracts plugins implement (creators now; engines and shells join them).

Each plugin answers a capability question with a *reason* (`None` means "I can") and does one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.core.interpreter import InterpreterInfo

__all__ = ["CreateRequest", "Creator"]


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
