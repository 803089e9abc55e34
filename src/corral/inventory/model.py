"""One row of the inventory."""

from __future__ import annotations

import json

from corral.core.frozen import Frozen

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any


__all__ = ["KINDS", "EnvRecord"]

# project: a project's env; script/tool: cached throwaway envs (corral run / corral x);
# conda and other: found by a scan, made by some other tool.
KINDS = ("project", "script", "tool", "conda", "other")


class EnvRecord(Frozen):
    """What the inventory knows about one env (times are POSIX timestamps)."""

    __slots__ = (
        "created_at",
        "creator",
        "extra",
        "interpreter",
        "kind",
        "last_used",
        "path",
        "project",
        "source",
        "version",
    )
    path: str
    kind: str
    project: str | None
    interpreter: str | None
    version: str | None
    creator: str | None
    created_at: float
    last_used: float | None
    source: str
    extra: dict[str, Any]

    def __init__(
        self,
        *,
        path: str,
        kind: str,
        project: str | None,
        interpreter: str | None,
        version: str | None,
        creator: str | None,
        created_at: float,
        last_used: float | None,
        source: str = "corral",
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`); `extra` defaults to a new {}."""
        self._set(
            path=path,
            kind=kind,
            project=project,
            interpreter=interpreter,
            version=version,
            creator=creator,
            created_at=created_at,
            last_used=last_used,
            source=source,
            extra={} if extra is None else extra,
        )

    @property
    def made_by_corral(self) -> bool:
        """Registered by corral when it made the env (not merely found by a scan)."""
        return self.source == "corral"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "kind": self.kind,
            "project": self.project,
            "interpreter": self.interpreter,
            "version": self.version,
            "creator": self.creator,
            "created_at": self.created_at,
            "last_used": self.last_used,
            "source": self.source,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> EnvRecord:
        """Build from a database row in `COLUMNS` order."""
        path, kind, project, interpreter, version, creator, created, used, source, extra = row
        return cls(
            path=path,
            kind=kind,
            project=project,
            interpreter=interpreter,
            version=version,
            creator=creator,
            created_at=created,
            last_used=used,
            source=source,
            extra=json.loads(extra) if extra else {},
        )
