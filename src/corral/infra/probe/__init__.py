"""Scripts that run inside a target interpreter (any Python 2.7+), printing JSON."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROBE_INFO"]

PROBE_INFO = Path(__file__).with_name("probe_info.py")
