"""Locate the uv binary that ships with the `uv` dependency."""

from __future__ import annotations

import functools
import shutil

from corral.errors import EngineError

__all__ = ["uv_binary"]


@functools.cache
def uv_binary() -> str:
    """Path of uv: the one from corral's own `uv` dependency, else `uv` on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    msg = "uv is not installed alongside corral; reinstall corral (pip install corral) or put uv on PATH"
    raise EngineError(msg)
