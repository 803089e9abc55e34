"""corral-owned tool envs (virtualenv 20.21.1 for legacy Pythons) and the legacy-Python version table."""

from __future__ import annotations
