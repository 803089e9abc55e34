"""The value every service returns: data for the renderer plus messages for the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Message", "Result"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Message:
    """A line for the user: level is info, warning or error."""

    level: str
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Result(Generic[T]):
    """A command's outcome; `status` is success, partial or error (pipx's envelope)."""

    command: str
    data: T
    messages: tuple[Message, ...] = ()
    exit_code: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Success | partial | error."""
        if self.exit_code == 0:
            return "success"
        return "error" if not self.data else "partial"
