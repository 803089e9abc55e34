"""The automatic `corral cache prune`: at most once a day, in a background process, after work that was slow anyway.

`prune_if_due(cache)` is called by commands that just did real work (a sync that changed an env, `envs gc`), never
by a no-op path: when the last automatic prune began less than `INTERVAL` ago it costs one stat of the
`cache-pruned` stamp; when due, it touches the stamp and starts `main` detached (its own session, the null device
for its streams, lowest priority), which runs `services.cache_prune.prune` with the default age and reports
nothing. Any failure only leaves the cache as it was until the next try or `corral cache prune`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final


__all__ = ["INTERVAL", "OPT_OUT", "STAMP", "main", "prune_if_due"]

STAMP: Final = "cache-pruned"  # in corral's cache: its mtime is when the last automatic prune began
INTERVAL: Final = 86400.0
_CODE: Final = (
    "import sys; sys.path.insert(0, sys.argv[1]); from corral.services.cache_auto import main; "
    "main(sys.argv[2], float(sys.argv[3]))"
)
OPT_OUT: Final = "CORRAL_AUTO_PRUNE"  # "0" (or false/no/off): never start one (`corral cache prune` by hand)
DELAY: Final = 10.0  # seconds the background prune waits: the command that started it lets go of its locks first


def prune_if_due(cache: Path, *, now: float | None = None, delay: float = DELAY) -> int | None:
    """Start a background prune of `cache` when none began within `INTERVAL`; its process id, else None.

    The prune begins `delay` seconds later (a project or env lock the caller still holds would keep it from uv's
    inputs).
    """
    if os.environ.get(OPT_OUT, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    stamp = cache / STAMP
    now = time.time() if now is None else now
    try:
        if now - os.stat(stamp, follow_symlinks=False).st_mtime < INTERVAL:
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.utime(fd, (now, now))
        finally:
            os.close(fd)
    except OSError:
        return None
    return _spawn(cache, delay)


def _spawn(cache: Path, delay: float) -> int | None:
    import corral

    if not sys.executable or not hasattr(os, "posix_spawn"):
        return None  # Windows: `corral cache prune` by hand
    where = os.path.dirname(os.path.dirname(os.path.abspath(corral.__file__)))
    argv = [sys.executable, "-I", "-c", _CODE, where, os.fspath(cache), repr(float(delay))]
    null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        return os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=null, setsid=True)
    except (OSError, NotImplementedError):
        return None


def main(cache: str, delay: float = 0.0) -> None:
    """The background process: after `delay` s, prune corral's cache when it is still the folder the command meant."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(19)
    time.sleep(max(0.0, delay))
    # imported after the wait, at the lowest priority: not beside the install of the sync that started it
    from corral.services.cache_prune import prune
    from corral.services.context import Context

    ctx = Context(cwd=Path(cache))
    if os.path.realpath(ctx.paths.cache) != os.path.realpath(cache):
        return
    with contextlib.suppress(Exception):  # nobody to tell: the next prune (or `corral cache prune`) tries again
        prune(ctx)
