"""A stand-in for typer in corral's tests: its version is this file's __version__."""

from __future__ import annotations

__version__ = "0.24.1"
