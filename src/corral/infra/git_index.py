"""Where the git index of the work tree around a folder lives (stdlib `os` only: the quick path imports it).

Every checkout, pull, merge, reset or `git add` rewrites the index, so its stat identity in the sync stamp and the
quick record sends the next `sync`/`run` the full way after one, where `services.trust.tracked_in_env` asks git
whether it wrote files into the env. A `.git` file (worktree, submodule) names its git folder on a `gitdir:` line;
its text only chooses which file is stat'ed, nothing is run or trusted from it.
"""

from __future__ import annotations

import os

__all__ = ["git_index_path"]

_GITDIR_LIMIT = 4096


def git_index_path(folder: str) -> str | None:
    """The index file of the git work tree `folder` is in (the nearest `.git` at or above it), or None."""
    current = os.path.abspath(folder)
    while True:
        dot_git = os.path.join(current, ".git")
        if os.path.isdir(dot_git):
            return os.path.join(dot_git, "index")
        if os.path.isfile(dot_git):
            return _linked_index(dot_git, current)
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _linked_index(dot_git: str, work_tree: str) -> str | None:
    try:
        with open(dot_git, "rb") as handle:
            text = handle.read(_GITDIR_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None
    first = text.splitlines()[0] if text else ""
    if not first.startswith("gitdir:"):
        return None
    target = first[len("gitdir:") :].strip()
    return os.path.join(os.path.normpath(os.path.join(work_tree, target)), "index") if target else None
