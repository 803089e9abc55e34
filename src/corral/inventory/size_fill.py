"""Measures, in a background process, the env sizes an `envs list` had no time for, so the next listing has them.

`envs list` measures for a time budget; the envs it could not measure are added to `<cache>/env-sizes.todo.json`
and `start` launches `main` in a new interpreter (`python -I`, corral imported from where this one was), detached:
a session of its own (no terminal, no signal from the user's shell), stdin, stdout and stderr on the null device,
the lowest priority. One runs at a time: it holds `<cache>/env-sizes.lock` (a second one exits at once; a listing
never waits for it). It reads the to-do list as untrusted as the cache file (only absolute real paths of
folders, anything else ignored), walks each env the cache has no valid size for (symlinks never followed, as in
every walk, and a listed path that is a link or goes through one is skipped), saves the cache every few seconds
and at the end (keeping what listings wrote meanwhile), and reads the list again for envs added while it ran.
Killed at any point, it leaves the cache as its last atomic save left it and the lock released by the system;
the next listing shows what is still missing as not measured and starts another one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Final

__all__ = ["LOCK_NAME", "TODO_NAME", "main", "start"]

LOCK_NAME: Final = "env-sizes.lock"
TODO_NAME: Final = "env-sizes.todo.json"
_SAVE_EVERY: Final = 5.0  # seconds of walking between saves (a killed process loses at most that)
_LIMIT: Final = 16 << 20
_CODE: Final = (
    "import sys; sys.path.insert(0, sys.argv[1]); from corral.inventory.size_fill import main; main(sys.argv[2])"
)


def start(cache_dir: Path, reals: list[str]) -> int | None:
    """Add `reals` (real paths of envs) to the to-do list and start a measuring process unless one is running.

    Returns its process id; 0 when one was already running (it reads the list again before it ends); None when
    none could be started (the next listing measures what is missing, and tries again).
    """
    from corral.infra.fs import atomic_write_bytes
    from corral.infra.locks import LockTimeout, file_lock

    todo = list(dict.fromkeys([*reals, *_read_todo(cache_dir)]))
    try:
        atomic_write_bytes(cache_dir / TODO_NAME, json.dumps(todo).encode())
        with file_lock(cache_dir / LOCK_NAME, timeout=0):
            pass
    except LockTimeout:
        return 0
    except OSError:
        return None
    return _spawn(cache_dir)


def _spawn(cache_dir: Path) -> int | None:
    import corral

    if not sys.executable:
        return None
    where = os.path.dirname(os.path.dirname(os.path.abspath(corral.__file__)))
    argv = [sys.executable, "-I", "-c", _CODE, where, os.fspath(cache_dir)]
    try:
        if hasattr(os, "posix_spawn"):
            null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
            try:
                return os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=null, setsid=True)
            except NotImplementedError:  # no POSIX_SPAWN_SETSID on this system
                pass
        import subprocess

        flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=os.name != "nt",
            creationflags=flags,
        )
    except OSError:
        return None
    return child.pid


def main(cache_dir: str) -> None:
    """Measure every env of the to-do list the size cache has no valid size for (the background process)."""
    from corral.infra.locks import LockTimeout, file_lock

    folder = Path(cache_dir)
    with contextlib.suppress(AttributeError, OSError):
        os.nice(19)
    with contextlib.suppress(LockTimeout, OSError), file_lock(folder / LOCK_NAME, timeout=0):
        _fill(folder)


def _fill(cache_dir: Path) -> None:
    from corral.inventory.size_cache import CACHE_NAME, SizeCache

    done: set[str] = set()
    while todo := [real for real in _read_todo(cache_dir) if real not in done]:
        sizes = SizeCache(cache_dir / CACHE_NAME)
        saved = time.monotonic()
        for real in todo:
            done.add(real)
            if not _real_folder(real):
                continue
            ident, known = sizes.lookup(real)
            if known is None:
                sizes.measure(real, ident)
            if time.monotonic() - saved > _SAVE_EVERY:
                sizes.save()
                saved = time.monotonic()
        sizes.save()
    if not set(_read_todo(cache_dir)) - done:  # nothing was added since the last read
        with contextlib.suppress(OSError):
            (cache_dir / TODO_NAME).unlink()


def _real_folder(path: str) -> bool:
    """True for an absolute path of a folder reached through no symlink."""
    try:
        return os.path.isabs(path) and os.path.realpath(path) == path and os.path.isdir(path)
    except (OSError, ValueError):
        return False


def _read_todo(cache_dir: Path) -> list[str]:
    from corral.infra.safe_read import read_small

    try:
        data = json.loads(read_small(cache_dir / TODO_NAME, limit=_LIMIT, what=TODO_NAME, follow=False))
    except (OSError, ValueError, RecursionError, MemoryError):
        return []
    return [item for item in data if isinstance(item, str)] if isinstance(data, list) else []
