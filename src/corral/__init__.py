"""corral: owns the whole life of a Python project's virtual environment.

The importable library lives in :mod:`corral.services` (use cases returning results) over
:mod:`corral.core` (pure models). The command line in :mod:`corral.cli` is a thin layer on top.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
