"""Inventory rows noted as files, folded into the database by its next connection (`store.Store`).

The rebuild replay (`cli.rebuild_replay`) registers the env it makes while uv installs, and on a small project that
Python, not uv, is what the user waits for: sqlite3 (and datetime, which it imports), the model and the store cost
~5 M instructions there, the connection and the write as much again. `note_made` writes the row
`inventory.record.register_env` would write (same fields, same folder identity) as one small file in corral's data
folder instead: a temporary file renamed into `inventory-pending/`, so a kill leaves the whole row or none (the
inventory is a view: `services.create.record_made` lets a failed registration pass too). Every connection
(`store._connect`) folds the files in before anything reads or writes, in the order they were noted, and then
removes them: `envs list`, the deletion safety checks, gc and every later registration see the row as if it had
been written at once. A row whose folder is gone or is another folder now (removed, rebuilt) is dropped, not
folded; a file the fold cannot read as a row of this shape is removed (it is corral's own name in corral's own
folder). A kill after a fold's commit leaves files whose rows are in; the next fold writes them again, the same.

Stdlib only (os, time; json's C encoder through `infra.json_text`, json itself only to fold): the replay imports it
while uv installs.
"""

from __future__ import annotations

import os
import time

from corral.infra.json_text import dumps

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FOLDER", "note_made", "pending_rows"]

FOLDER = "inventory-pending"  # in corral's data folder, beside the database
_SUFFIX = ".json"
_LIMIT = 1 << 16  # a row is a few hundred bytes
_TEXT_FIELDS = ("path", "kind", "project", "interpreter", "version", "creator", "source")
_FIELDS = frozenset((*_TEXT_FIELDS, "created_at", "last_used", "extra"))


def note_made(
    data: str,
    *,
    path: str,
    kind: str,
    project: str | None,
    interpreter: str | None,
    version: str | None,
    creator: str | None,
) -> None:
    """`inventory.record.register_env`'s row of an env corral made, as a file the next connection folds in.

    `data` is corral's data folder. Raises OSError when the file cannot be written (nothing is left behind).
    """
    now = time.time()
    key = os.path.normpath(os.path.abspath(path))  # store.env_key
    st = os.lstat(path)
    row = {
        "path": key,
        "kind": kind,
        "project": os.path.normpath(os.path.abspath(project)) if project else None,
        "interpreter": interpreter or None,
        "version": version,
        "creator": creator,
        "created_at": now,
        "last_used": now,
        "source": "corral",
        "extra": {"identity": [st.st_dev, st.st_ino]},
    }
    folder = os.path.join(data, FOLDER)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}{_SUFFIX}"  # the order of noting, and unique among processes
    tmp = os.path.join(folder, f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            os.write(fd, dumps(row).encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _named_by_note(name: str) -> bool:
    """`note_made`'s name: 20 digits of nanoseconds, `-`, the process id, `.json`."""
    if not name.endswith(_SUFFIX) or not name.isascii():
        return False
    stem, dash, pid = name[: -len(_SUFFIX)].partition("-")
    return dash == "-" and len(stem) == 20 and stem.isdigit() and pid.isdigit()  # noqa: PLR2004 - time_ns, padded


def _read(path: str) -> dict[str, Any] | None:
    """The row in `path`: a regular file of at most `_LIMIT` bytes holding an object of `note_made`'s shape."""
    import json
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        raw = os.read(fd, _LIMIT + 1) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        raw = b""
    finally:
        os.close(fd)
    try:
        row = json.loads(raw) if 0 < len(raw) <= _LIMIT else None
    except ValueError:
        return None
    return row if isinstance(row, dict) and _shaped(row) else None


def _shaped(row: dict[str, Any]) -> bool:
    """`note_made`'s fields, each of its type: text (path, kind, source never empty of it), times, the identity."""
    if set(row) != _FIELDS or not all(row[key] is None or isinstance(row[key], str) for key in _TEXT_FIELDS):
        return False
    if not all(isinstance(row[key], str) for key in ("path", "kind", "source")):
        return False
    if not all(type(row[key]) in (int, float) for key in ("created_at", "last_used")):
        return False
    extra = row["extra"]
    return isinstance(extra, dict) and set(extra) == {"identity"} and _pair_of_ints(extra["identity"])


def _pair_of_ints(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(type(item) is int for item in value)  # noqa: PLR2004


def _same_folder(row: dict[str, Any]) -> bool:
    """The row's folder is still the one noted (not removed, not another folder put there since)."""
    try:
        st = os.lstat(row["path"])
    except OSError:
        return False
    identity: list[int] = row["extra"]["identity"]
    return [st.st_dev, st.st_ino] == identity


def pending_rows(data: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(file, row) of every noted row in `data`'s pending folder, in the order noted.

    The row is None when the file is not one to fold (unreadable, another shape, or its folder is gone or another
    now): the fold removes it. [] at once when the folder is absent or empty.
    """
    folder = os.path.join(data, FOLDER)
    try:
        names = sorted(name for name in os.listdir(folder) if _named_by_note(name))
    except OSError:
        return []
    found: list[tuple[str, dict[str, Any] | None]] = []
    for name in names:
        path = os.path.join(folder, name)
        row = _read(path)
        found.append((path, row if row is not None and _same_folder(row) else None))
    return found
