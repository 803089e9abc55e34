"""The record corral leaves inside every env it creates (who made it, from what, for whom)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["PROVENANCE_FILE", "Provenance"]

PROVENANCE_FILE = "corral-env.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """How an env came to be; `location` lets doctor spot an env that was moved or copied."""

    corral_version: str
    creator: str
    location: str
    interpreter: str
    interpreter_realpath: str
    python_version: str
    implementation: str
    project: str | None
    created_at: str
    options: dict[str, Any] = field(default_factory=dict)
    kind: str = "project"
    schema: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Inverse of to_dict; unknown keys are ignored (forward compatibility)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
