"""Where interpreters live, as folders: pyenv's and uv's install roots, the system's folders, PATH.

Stdlib only and cheap to import (no dataclasses): `discovery.sources` lists interpreters from these folders, and the
no-op `lock` compares their fingerprints (`candidate_folders`) to know that discovery would choose as before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing and collections are not imported (the rebuild replay's `_tools` runs this)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

__all__ = ["MAC_FRAMEWORK", "SYSTEM_DIRS_POSIX", "candidate_folders", "pyenv_root", "uv_python_dir"]

SYSTEM_DIRS_POSIX: Final = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin")
MAC_FRAMEWORK: Final = Path("/Library/Frameworks/Python.framework/Versions")


def pyenv_root(environ: Mapping[str, str]) -> Path:
    """Pyenv's root (`PYENV_ROOT`, default ~/.pyenv)."""
    return Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def uv_python_dir(environ: Mapping[str, str]) -> Path:
    """Where uv installs managed Pythons (mirrors `uv python dir` without running uv)."""
    if environ.get("UV_PYTHON_INSTALL_DIR"):
        return Path(environ["UV_PYTHON_INSTALL_DIR"])
    if os.name == "nt":
        return Path(environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "uv" / "data" / "python"
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "uv" / "python"


def candidate_folders(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Every folder discovery (`sources.iter_candidates`) lists interpreters from, without listing them (POSIX).

    An interpreter added, removed or replaced there changes its folder's mtime: what a cache of a choice compares.
    """
    env = os.environ if environ is None else environ
    folders = [Path(f) for f in env.get("PATH", "").split(os.pathsep) if os.path.isabs(f)]  # as sources reads it
    for root in (pyenv_root(env) / "versions", uv_python_dir(env)):
        folders.append(root)
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue
        folders += [root / name / "bin" for name in names if not name.startswith(".")]
    folders += [Path(f) for f in SYSTEM_DIRS_POSIX]
    if sys.platform == "darwin":
        folders.append(MAC_FRAMEWORK)
    return folders
