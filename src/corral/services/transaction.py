"""Replace pyproject.toml and pylock.toml together: a kill at any point leaves the old pair or the new pair.

Protocol: the journal (in corral's own state folder, `infra.journals`, never in the project) first records the
change as *prepared*, with a random token; every new file is written beside its target under a name carrying
that token (`.NAME.corral-new-TOKEN`, created exclusively, never through a symlink, fsynced); the journal then
says *committed* (the commit point); each new file is renamed into place; the journal is deleted.
`recover()` runs before every mutating command: a committed journal rolls forward (renames the new files still
present, after checking their hashes); a prepared one rolls back (deletes exactly the files it names). Nothing a
repository ships in the project is ever read as a journal.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.errors import LockError
from corral.infra.faults import checkpoint
from corral.infra.journals import (
    journal_path,
    owned_regular_file,
    read_journal,
    remove_journal,
    write_journal,
)
from corral.infra.markers import NEW_MARK, TOKEN_RE

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths

__all__ = ["commit_files", "project_lock", "project_lock_path", "recover"]

_PART_RE = re.compile(r"^[^/\\\x00-\x1f]+$")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _new_name(target: str, token: str) -> str:
    """The new file's path relative to the project: beside the target, so the rename is atomic."""
    folder, _, base = target.rpartition("/")
    return f"{folder}/.{base}{NEW_MARK}{token}" if folder else f".{base}{NEW_MARK}{token}"


def _relative_target(root: Path, name: str) -> str:
    """Where a write to `root/name` lands, relative to root: the name, or the in-project file its symlink names.

    infra.fs.resolve_write_target refuses a link leading out of the project.
    """
    from corral.infra.fs import resolve_write_target

    real = resolve_write_target(root / name, root)
    if real == root / name:
        return name
    return Path(os.path.relpath(real, os.path.realpath(root))).as_posix()


def _valid_target(target: object) -> bool:
    return (
        isinstance(target, str)
        and not target.startswith("/")
        and all(_PART_RE.match(part) and part not in {".", ".."} for part in target.split("/"))
    )


def _inside(root: Path, path: Path) -> bool:
    """`path`'s folder is, links resolved, the project root or a folder in it."""
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path.parent)]) == real_root


def _target_mode(path: Path) -> int | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode)


def _write_exclusive(path: Path, data: bytes, mode: int | None) -> None:
    """Create `path` (never an existing file, never through a symlink) holding `data`, synced to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def _paths(paths: CorralPaths | None) -> CorralPaths:
    if paths is not None:
        return paths
    from corral.infra.paths import CorralPaths

    return CorralPaths.from_environment()


def commit_files(
    root: Path,
    files: Mapping[str, bytes],
    *,
    paths: CorralPaths | None = None,
    before_commit: Callable[[], None] | None = None,
) -> None:
    """Replace each `root/NAME` with its new bytes, all or nothing across a crash.

    `before_commit` runs once the new files are written and before the commit point (callers drop the env's
    sync stamp there, so no-op fast paths yield to a pending journal).
    """
    journal = journal_path(_paths(paths), root, "txn")
    token = os.urandom(8).hex()  # secrets.token_hex's bytes, without importing secrets (hmac, random)
    targets = [_relative_target(root, name) for name in files]
    entries = [
        {"target": target, "new": _new_name(target, token), "sha256": _sha(data)}
        for target, data in zip(targets, files.values(), strict=True)
    ]
    write_journal(journal, root, {"state": "prepared", "token": token, "files": entries})
    try:
        for entry, data in zip(entries, files.values(), strict=True):
            _write_exclusive(root / entry["new"], data, _target_mode(root / entry["target"]))
        _fsync_dir(root)
        checkpoint("txn.after-write-new")
        if before_commit is not None:
            before_commit()
        write_journal(journal, root, {"state": "committed", "token": token, "files": entries})
    except BaseException:
        _roll_back(root, entries)
        remove_journal(journal)
        raise
    checkpoint("txn.after-journal")
    for index, entry in enumerate(entries):
        if entry["target"].endswith("pylock.toml"):
            checkpoint("txn.before-rename-lock")
        elif index:
            checkpoint("txn.between-renames")
        os.replace(root / entry["new"], root / entry["target"])
    _fsync_dir(root)
    checkpoint("txn.before-journal-delete")
    remove_journal(journal)


def _valid_entries(data: dict[str, Any]) -> list[dict[str, str]] | None:
    """The journal's entries when every one names files corral itself would have written, else None."""
    token, entries = data.get("token"), data.get("files")
    if not isinstance(token, str) or not TOKEN_RE.match(token) or not isinstance(entries, list):
        return None
    valid = []
    for entry in entries:
        if not isinstance(entry, dict):
            return None
        target, new, digest = entry.get("target"), entry.get("new"), entry.get("sha256")
        if not (
            _valid_target(target)
            and isinstance(target, str)
            and new == _new_name(target, token)
            and isinstance(digest, str)
        ):
            return None
        valid.append({"target": target, "new": new, "sha256": digest})
    return valid


def _roll_back(root: Path, entries: list[dict[str, str]]) -> bool:
    removed = False
    for entry in entries:
        new = root / entry["new"]
        if owned_regular_file(new):
            with contextlib.suppress(OSError):
                new.unlink()
                removed = True
    return removed


def recover(project_root: Path, *, paths: CorralPaths | None = None) -> str | None:
    """Finish or undo a transaction a killed process left; returns "rolled-forward", "rolled-back" or None."""
    journal = journal_path(_paths(paths), project_root, "txn")
    data = read_journal(journal, project_root)
    if data is None:
        return None
    entries = None if "damaged" in data else _valid_entries(data)
    if entries is None:
        msg = (
            f"corral's journal of an interrupted change to {project_root} ({journal}) is damaged; "
            "check pyproject.toml and pylock.toml by hand, then delete that journal"
        )
        raise LockError(msg)
    if data.get("state") != "committed":
        _roll_back(project_root, entries)
        remove_journal(journal)
        return "rolled-back"
    for entry in entries:
        new, target = project_root / entry["new"], project_root / entry["target"]
        if not _inside(project_root, target):
            msg = (
                f"corral's journal ({journal}) names {target}, which now lies outside {project_root}; "
                "check pyproject.toml and pylock.toml by hand, then delete that journal"
            )
            raise LockError(msg)
        if owned_regular_file(new) and _sha(new.read_bytes()) == entry["sha256"]:
            os.replace(new, target)
        elif not (target.is_file() and _sha(target.read_bytes()) == entry["sha256"]):
            msg = (
                f"interrupted change of {target.name} cannot be completed ({new.name} is missing or damaged); "
                f"check the file by hand, then delete {journal}"
            )
            raise LockError(msg)
    _fsync_dir(project_root)
    remove_journal(journal)
    return "rolled-forward"


def project_lock_path(project_root: Path) -> Path:
    """Where the cross-process lock for `project_root` lives."""
    from corral.infra.paths import CorralPaths

    key = hashlib.sha256(str(project_root.resolve()).encode()).hexdigest()[:24]
    return CorralPaths.from_environment().cache / "project-locks" / f"{key}.lock"


_HELD: dict[Path, int] = {}  # project locks this process holds (re-entered, not re-acquired: flock would deadlock)


@contextlib.contextmanager
def project_lock(project_root: Path, *, timeout: float = 600) -> Iterator[list[str]]:
    """Serialize mutating commands on a project, recovering first (`services.recovery`); yields what recovery did.

    The lock file lives in corral's cache (keyed by the project's real path), not in the project, so it
    never shows up in the user's `git status` and works for a read-only checkout too. A nested call in the
    same process (recreate inside upgrade, a lock inside add) re-enters the held lock.
    """
    from corral.services.recovery import recover_project

    key = project_root.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield []
        finally:
            _HELD[key] -= 1
        return
    from corral.infra.locks import LockTimeout, file_lock

    lock_path = project_lock_path(project_root)
    from corral.infra.headstart import take_lock

    held = take_lock(lock_path)  # this process's head start took it (`cli.headstart`): a second flock would wait
    if held is not None:
        _HELD[key] = 1
        try:
            yield recover_project(project_root)
        finally:
            _HELD.pop(key, None)
            os.close(held)  # releases the lock
        return
    try:
        with file_lock(lock_path, timeout=timeout):
            _HELD[key] = 1
            try:
                yield recover_project(project_root)
            finally:
                _HELD.pop(key, None)
    except LockTimeout as err:
        if err.path != lock_path:  # a lock taken inside the block: not ours to explain
            raise
        msg = (
            f"another corral command has held the lock on {project_root} for more than {timeout:.0f} s; wait or stop it"
        )
        raise LockError(msg) from err
