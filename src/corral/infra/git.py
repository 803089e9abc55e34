"""Running git on a project corral did not write: its `.git/config` is untrusted input.

A repository (a zip, a copied checkout) can ship a `.git/config` whose `core.fsmonitor`, `core.pager` or hooks
name a program; git runs it on an ordinary `status`/`check-ignore`/`describe`. Every git call corral makes goes
through `git_command`, which overrides those settings on the command line (the highest-priority source) and
keeps git from prompting or writing the index.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence

__all__ = ["SAFE_OVERRIDES", "git_command", "git_environ"]

SAFE_OVERRIDES: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    f"core.hooksPath={os.devnull}",
    "core.pager=cat",
    "core.sshCommand=ssh",
    "protocol.ext.allow=never",
    "diff.external=",
)


def git_command(args: Sequence[str]) -> list[str] | None:
    """The argv for `git ARGS` with the repository's program-running settings overridden; None without git."""
    git = shutil.which("git")
    if git is None:
        return None
    return [git, *(part for setting in SAFE_OVERRIDES for part in ("-c", setting)), *args]


# What points git at another repository than the one around the folder it is asked about (`git rev-parse
# --local-env-vars`): a hook or a shell that set GIT_DIR would make corral ask the wrong repository.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
)


def git_environ(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus what keeps git quiet and read-only (no prompts, no optional index writes, no pager).

    Without the variables that point git at another repository than the one it finds from the folder.
    """
    env = {k: v for k, v in base.items() if k not in _REPOSITORY_VARIABLES}
    return {**env, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_EXTERNAL_DIFF": ""}
