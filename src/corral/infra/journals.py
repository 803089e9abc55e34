"""corral's records of unfinished work on a project, kept in corral's own state folder, never in the project.

A repository can ship any file, so a journal found inside a project would be an instruction from a stranger.
Journals therefore live in `<data>/journals/`, a folder of the user's own, named by a key of the project's real
path: `<key>.txn.json` (the pyproject/lock transaction), `<key>.recreate.json` (an env rebuild) and
`<key>.creating.json` (the project's env being made). A journal is read only when it is a regular file owned by
the current user; anything else there is ignored. Stdlib only: the no-op paths of `sync`/`run` may import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.infra.markers import JOURNAL_KINDS, PARTIAL_WRITE_RE, journal_name

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths

__all__ = [
    "journal_dir",
    "journal_path",
    "owned_regular_file",
    "partial_writes",
    "pending",
    "project_key",
    "read_journal",
    "remove_journal",
    "write_journal",
]

_MAX_JOURNAL: Final = 1024 * 1024


def journal_dir(paths: CorralPaths) -> Path:
    """Where every project's journals live."""
    return paths.data / "journals"


def project_key(project_root: Path) -> str:
    """A stable key for a project: its real path (a moved or renamed checkout gets a new key)."""
    import hashlib  # here: importing it loads OpenSSL (~4 ms); `pending` with no journal at all needs none

    real = os.path.realpath(project_root)
    return hashlib.sha256(os.fsencode(real)).hexdigest()[:32]


def journal_path(paths: CorralPaths, project_root: Path, kind: str) -> Path:
    """The journal of `kind` for the project at `project_root`."""
    if kind not in JOURNAL_KINDS:
        msg = f"unknown journal kind {kind!r}"
        raise ValueError(msg)
    return journal_dir(paths) / journal_name(project_key(project_root), kind)


def owned_regular_file(path: Path, *, max_size: int | None = None) -> bool:
    """`path` is a regular file (not a link) of the current user, of at most `max_size` bytes when given."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    geteuid = getattr(os, "geteuid", None)
    return (
        stat.S_ISREG(st.st_mode)
        and (max_size is None or st.st_size <= max_size)
        and (geteuid is None or st.st_uid == geteuid())
    )


def read_journal(path: Path, project_root: Path) -> dict[str, Any] | None:
    """The journal's data, or None when there is none (or it is not one corral wrote for this project).

    A damaged journal of ours is reported as {"damaged": reason} so recovery can say so instead of guessing.
    """
    if not owned_regular_file(path, max_size=_MAX_JOURNAL):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {"damaged": str(err)}
    if not isinstance(data, dict):
        return {"damaged": "not a JSON object"}
    if data.get("project") != os.path.realpath(project_root):
        return {"damaged": "it names another project"}
    return data


def write_journal(path: Path, project_root: Path, data: dict[str, Any]) -> None:
    """Write (or replace) a journal atomically; the folder is created private to the user."""
    from corral.infra.fs import atomic_write_text

    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = {**data, "version": 2, "project": os.path.realpath(project_root)}
    atomic_write_text(path, json.dumps(body, indent=1, sort_keys=True) + "\n")
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_journal(path: Path) -> None:
    """Forget a journal (the work it recorded is finished or undone)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def partial_writes(project_root: Path) -> list[Path]:
    """Regular files of the current user in the project, named as corral names its temporaries (one listing)."""
    try:
        names = os.listdir(project_root)
    except OSError:
        return []
    return [
        project_root / name
        for name in names
        if PARTIAL_WRITE_RE.match(name) and owned_regular_file(project_root / name)
    ]


def pending(paths: CorralPaths, project_root: Path) -> list[str]:
    """The kinds of journal left for this project (a listing of the journals' folder, then a few `lstat`s)."""
    try:
        if not os.listdir(journal_dir(paths)):
            return []  # no journal of any project: nothing to hash the project's path for
    except FileNotFoundError:
        return []  # no folder: no journal at all
    return [
        kind
        for kind in JOURNAL_KINDS
        if owned_regular_file(journal_path(paths, project_root, kind), max_size=_MAX_JOURNAL)
    ]
