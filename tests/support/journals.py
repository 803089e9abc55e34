"""What corral's state folder says is unfinished (journals live there, never in a project)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["pending_journals"]


def pending_journals(home: str | os.PathLike[str] | None = None) -> list[Path]:
    """Journal files in `<CORRAL_HOME>/data/journals` (default: the test's CORRAL_HOME)."""
    root = Path(home if home is not None else os.environ["CORRAL_HOME"])
    return sorted((root / "data" / "journals").glob("*.json"))
