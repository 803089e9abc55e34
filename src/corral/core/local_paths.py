"""Local paths as a lock or a pyproject.toml records them: relative to the file's folder, so a checkout can move.

PEP 751 lets a lock's `path` be relative to the lock file; uv records its path sources relative to the project the
same way (`../lib` for a sibling in a monorepo). An absolute path names the folder on the machine that locked:
a clone elsewhere installed the first checkout's sibling, or failed, and its next lock rewrote every path.
Stdlib only.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

__all__ = ["relative_to_folder"]


def relative_to_folder(target: str | PurePath, folder: str | PurePath) -> str:
    """`target` (absolute) relative to `folder` with `/` separators (`../lib`, `.`, `wheels/x.whl`).

    Absolute where no relative path leads there: another drive on Windows.
    """
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:
        return str(target)
