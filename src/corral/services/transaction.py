"""Replace pyproject.toml and pylock.toml together: a kill at any point leaves the old pair or the new pair.

Protocol: write every new file beside its target (`NAME.corral-new`, fsynced), then write the journal
`.corral-txn.json` (atomically; this is the commit point), rename each new file into place, delete the journal.
`recover()` runs at the start of every mutating command: a journal means the transaction committed, so it rolls
forward (renames the new files still present, after checking their hashes); no journal means it never committed,
so leftovers are removed and the old pair stands.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from corral.errors import LockError
from corral.infra.faults import checkpoint
from corral.infra.fs import atomic_write_text

__all__ = ["JOURNAL", "NEW_SUFFIX", "commit_files", "project_lock", "project_lock_path", "recover"]

JOURNAL = ".corral-txn.json"
NEW_SUFFIX = ".corral-new"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def commit_files(root: Path, files: Mapping[str, bytes]) -> None:
    """Replace each `root/NAME` with its new bytes, all or nothing across a crash."""
    entries = []
    for name, data in files.items():
        new = root / (name + NEW_SUFFIX)
        _write_synced(new, data)
        entries.append({"target": name, "new": new.name, "sha256": _sha(data)})
    _fsync_dir(root)
    checkpoint("txn.after-write-new")
    atomic_write_text(root / JOURNAL, json.dumps({"version": 1, "files": entries}, indent=1) + "\n")
    _fsync_dir(root)
    checkpoint("txn.after-journal")
    for index, entry in enumerate(entries):
        if entry["target"] == "pylock.toml":
            checkpoint("txn.before-rename-lock")
        elif index:
            checkpoint("txn.between-renames")
        os.replace(root / entry["new"], root / entry["target"])
    _fsync_dir(root)
    checkpoint("txn.before-journal-delete")
    (root / JOURNAL).unlink()
    _fsync_dir(root)


def recover(project_root: Path) -> str | None:
    """Finish or undo a transaction a killed process left; returns "rolled-forward", "rolled-back" or None."""
    journal = project_root / JOURNAL
    outcome = None
    if journal.is_file():
        try:
            entries = json.loads(journal.read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            msg = f"{journal} is unreadable ({err}); check pyproject.toml and pylock.toml by hand, then delete it"
            raise LockError(msg) from err
        for entry in entries:
            new, target = project_root / entry["new"], project_root / entry["target"]
            if new.is_file() and _sha(new.read_bytes()) == entry["sha256"]:
                os.replace(new, target)
            elif not (target.is_file() and _sha(target.read_bytes()) == entry["sha256"]):
                msg = (f"interrupted change of {target.name} cannot be completed ({new.name} is missing or damaged); "
                       f"check the file by hand, then delete {journal}")
                raise LockError(msg)
        _fsync_dir(project_root)
        journal.unlink()
        outcome = "rolled-forward"
    for leftover in _leftovers(project_root):
        with contextlib.suppress(OSError):
            leftover.unlink()
            outcome = outcome or "rolled-back"
    return outcome


def _leftovers(root: Path) -> Iterator[Path]:
    yield from root.glob("*" + NEW_SUFFIX)
    for name in ("pyproject.toml", "pylock.toml", JOURNAL):
        yield from root.glob(f".{name}.*.tmp")


def project_lock_path(project_root: Path) -> Path:
    """Where the cross-process lock for `project_root` lives."""
    from corral.infra.paths import CorralPaths  # noqa: PLC0415

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
    from corral.services.recovery import recover_project  # noqa: PLC0415

    key = project_root.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield []
        finally:
            _HELD[key] -= 1
        return
    lock_path = project_lock_path(project_root)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    release = _acquire(lock_path, timeout)
    if release is None:
        msg = (f"another corral command has held the lock on {project_root} for more than {timeout:.0f} s; "
               "wait or stop it")
        raise LockError(msg)
    _HELD[key] = 1
    try:
        yield recover_project(project_root)
    finally:
        _HELD.pop(key, None)
        release()


def _acquire(lock_path: Path, timeout: float) -> Callable[[], None] | None:
    """Take an exclusive lock on `lock_path` (fcntl on POSIX: no filelock/asyncio import); its release, or None."""
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # Windows
        from filelock import FileLock, Timeout  # noqa: PLC0415

        guard = FileLock(str(lock_path), timeout=timeout)
        try:
            guard.acquire()
        except Timeout:
            return None
        return guard.release
    import time  # noqa: PLC0415

    handle = open(lock_path, "a")  # noqa: SIM115 - closed by the returned release
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            time.sleep(0.02)

    def release() -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()

    return release
