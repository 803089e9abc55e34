"""Every name corral gives a file or folder that a crash can leave behind, and the patterns that recognise them.

One module, so the writers (infra.fs, services.transaction, services.recreate, services.add_remove, inventory.remove,
services.upgrade, services.script_edit) and the cleaners (services.recovery through infra.journals, inventory.safety)
can never disagree about a shape. Each name carries a random part corral generated, so a repository cannot plant
one: only files and folders of exactly these shapes are ever removed as leftovers.

Stdlib only (re): the no-op paths of `sync`, `run` and `lock` import it.
"""

from __future__ import annotations

import re
from pathlib import Path

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final


__all__ = [
    "ATOMIC_SUFFIX",
    "CANDIDATE_PREFIX",
    "CORRAL_TEMP_RE",
    "ENV_LOCK_SUFFIX",
    "JOURNAL_KINDS",
    "NEW_MARK",
    "PARTIAL_WRITE_RE",
    "RECREATE_ID_FILE",
    "TMP_MARK",
    "TOKEN_RE",
    "TRASH_RE",
    "atomic_prefix",
    "journal_name",
    "maybe_partial_write",
    "recreate_names",
    "replace_temp",
    "trash_name",
    "trial_prefix",
]

TOKEN_RE: Final = re.compile(r"^[0-9a-f]{8,64}$")  # the random tokens corral generates (secrets.token_hex)

# Atomic writes (infra.fs): `.NAME.corral-XXXXXXXX.tmp` beside NAME (tempfile's random part).
TMP_MARK: Final = "corral-"
ATOMIC_SUFFIX: Final = ".tmp"
# The candidate lock `corral add`/`remove` tries before committing (services.add_remove).
CANDIDATE_PREFIX: Final = ".pylock.toml.corral-candidate-"
# The temporaries corral writes in a project (atomic writes of the record files, the candidate lock); only files of
# exactly these shapes are ever removed from a project (services.recovery).
PARTIAL_WRITE_RE: Final = re.compile(
    r"^\.(pyproject\.toml|pylock\.toml|\.python-version)\.corral-[a-z0-9_]{8}\.tmp$"
    r"|^\.pylock\.toml\.corral-candidate-[a-z0-9_]{8}\.tmp$"
)
# A killed atomic write's leftover inside an env's top level (inventory.safety tolerates it there).
CORRAL_TEMP_RE: Final = re.compile(r"^\..+\.corral-[\w.]*tmp$")
# The new bytes of a pyproject/lock transaction (services.transaction): `.NAME.corral-new-TOKEN`.
NEW_MARK: Final = ".corral-new-"
# A recreate's build folder holds its token here (services.recreate); an env's top level may hold it.
RECREATE_ID_FILE: Final = ".corral-recreate-id"
# An env being deleted is first renamed to `.NAME.corral-trash-HEX` (inventory.remove).
TRASH_RE: Final = re.compile(r"^\..+\.corral-trash-[0-9a-f]{8}$")
# Journals of unfinished work, in corral's state folder (infra.journals): `<project key>.<kind>.json`.
JOURNAL_KINDS: Final = ("txn", "recreate", "creating")
# The per-env sync lock file in corral's cache (services.sync.apply): `<hash of the env's path>.corral-sync.lock`.
ENV_LOCK_SUFFIX: Final = ".corral-sync.lock"


def atomic_prefix(name: str) -> str:
    """The prefix of an atomic write's temporary for the file `name` (tempfile adds the random part and `.tmp`)."""
    return f".{name}.{TMP_MARK}"


def maybe_partial_write(name: str) -> bool:
    """A cheap first look: `name` could be a killed writer's temporary (PARTIAL_WRITE_RE gives the exact answer)."""
    return name.startswith(".") and name.endswith(ATOMIC_SUFFIX) and f".{TMP_MARK}" in name


def replace_temp(name: str) -> str:
    """The fixed temporary name a read-modify-write of the file `name` goes through (services.upgrade)."""
    return f".{name}.{TMP_MARK}tmp"


def trial_prefix(name: str) -> str:
    """The prefix of a script's trial copy while its inline metadata is being changed (services.script_edit)."""
    return f".{name}.{TMP_MARK}trial-"


def recreate_names(env: Path, token: str) -> tuple[Path, Path]:
    """The two sibling folders a recreate with `token` uses: the new build, and the old env during a fallback swap."""
    return env.parent / f".{env.name}.corral-new-{token}", env.parent / f".{env.name}.corral-old-{token}"


def trash_name(env: Path, hex_token: str) -> Path:
    """The sibling an env is renamed to before it is deleted."""
    return env.parent / f".{env.name}.corral-trash-{hex_token}"


def journal_name(project_key: str, kind: str) -> str:
    """The file name of a journal of `kind` for the project whose key is `project_key`."""
    return f"{project_key}.{kind}.json"
