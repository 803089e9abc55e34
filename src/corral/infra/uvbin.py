"""Locate the uv binary that ships with the `uv` dependency."""

from __future__ import annotations

import os
import sys

__all__ = ["uv_binary"]

_found: list[str] = []  # the answer, once found (functools.cache's imports cost the lock head start ~3-20 ms)


def uv_binary() -> str:
    """Path of uv: the one from corral's own `uv` dependency, else `uv` on PATH."""
    if not _found:
        _found.append(_find())
    return _found[0]


def _find() -> str:
    beside = _venv_scripts_uv()
    if beside is not None:
        return beside
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found:
            return found
    from corral.errors import EngineError

    msg = "uv is not installed alongside corral; reinstall corral (pip install corral) or put uv on PATH"
    raise EngineError(msg)


def _venv_scripts_uv() -> str | None:
    """The first place `uv.find_uv_bin` looks, without importing it (and sysconfig, ~1.5 ms): corral's venv's bin/.

    Inside a venv on POSIX, `sysconfig.get_path("scripts")` is `<sys.prefix>/bin` (the `venv` scheme, and
    `posix_prefix` before 3.11); anywhere else (a system or user install, Windows) `find_uv_bin` decides.
    """
    if os.name != "posix" or sys.prefix == sys.base_prefix:
        return None
    path = os.path.join(sys.prefix, "bin", "uv")
    return path if os.path.isfile(path) else None
