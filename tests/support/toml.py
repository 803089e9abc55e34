"""`tomllib` on 3.11+, `tomli` (corral's own dependency there) on 3.10: the suite runs on every supported Python."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["count_parses", "tomllib"]


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the TOML library parses from now on (the real `loads` still parses each)."""
    seen: list[str] = []
    real = tomllib.loads

    def counted(text: str, **options: Any) -> dict[str, Any]:
        seen.append(text)
        data: dict[str, Any] = real(text, **options)
        return data

    monkeypatch.setattr(tomllib, "loads", counted)
    return seen
