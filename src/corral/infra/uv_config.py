"""The configuration files uv reads besides a project's own (os only: the quick paths use it too).

`uv_config_files`: the user's and the system's uv.toml and the one `UV_CONFIG_FILE` names, which steer every uv
command corral runs (an index, find-links, a resolution setting); `digests`: their bytes' SHA-256, for a key that
must change when one does (a script env's).
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # typing is not imported on `corral run script.py`'s quick path
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["digests", "uv_config_files"]

_LIMIT = 1 << 20  # a uv.toml is a few lines: a bigger file is named by its size and mtime, not read


def uv_config_files(environ: Mapping[str, str]) -> list[str]:
    """The user and system configuration files uv reads for every resolution, and the one `UV_CONFIG_FILE` names.

    uv reads `UV_CONFIG_FILE` even with `UV_NO_CONFIG` set (uv 0.13.9), relative to the working directory.
    """
    home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    dirs = (environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
    named = environ.get("UV_CONFIG_FILE")
    found = [os.path.join(home, "uv", "uv.toml"), "/etc/uv/uv.toml", *(os.path.join(d, "uv", "uv.toml") for d in dirs)]
    return [*found, os.path.abspath(named)] if named else found


def digests(environ: Mapping[str, str]) -> dict[str, str]:
    """Each existing `uv_config_files` path -> the SHA-256 of its bytes (another kind of file: mode, size, mtime)."""
    from corral.infra.sha256 import hexdigest

    found: dict[str, str] = {}
    for path in uv_config_files(environ):
        try:
            info = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > _LIMIT:
            found[path] = f"mode {info.st_mode:o} size {info.st_size} mtime {info.st_mtime_ns}"  # never opened
            continue
        try:
            with open(path, "rb") as handle:
                found[path] = hexdigest(handle.read(_LIMIT + 1))
        except OSError as err:
            found[path] = f"unreadable {err.errno}"
    return found
