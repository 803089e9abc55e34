"""Helpers for the deletion tests: real mounts (bind, tmpfs), a swap loop for races, corral as a subprocess.

Mounts need root (or CAP_SYS_ADMIN): where `mount` is refused the tests that need one are skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.infra.dirswap import exchange

__all__ = ["corral_run", "mounted", "swapping"]

# Another checkout's src/ to run against (e.g. the code before the fixes, to see that the tests bite).
OTHER_SRC = os.environ.get("CORRAL_SECURITY_SRC")


@contextlib.contextmanager
def mounted(point: Path, *, source: Path | None = None) -> Iterator[None]:
    """Bind-mount `source` on `point` (a tmpfs when `source` is None) for the block; skips where not permitted."""
    if not point.exists():
        point.mkdir(parents=True)
    argv = ["mount", "--bind", str(source), str(point)] if source else ["mount", "-t", "tmpfs", "none", str(point)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}); needs root or CAP_SYS_ADMIN")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


@contextlib.contextmanager
def swapping(a: Path, b: Path) -> Iterator[list[int]]:
    """Exchange `a` and `b` (renameat2 RENAME_EXCHANGE) in a tight loop until the block ends; yields [swaps].

    On leaving, `a` and `b` are put back as they were (an even number of swaps).
    """
    if not exchange(a, b) or not exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    count = [0]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            exchange(a, b)  # ctypes releases the GIL: this runs beside the subprocess at full speed
            count[0] += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join()
        if count[0] % 2:
            exchange(a, b)


def corral_run(
    *args: str, cwd: Path, extra_env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m corral ARGS` in a subprocess with this test's (isolated) environment."""
    environ = dict(os.environ)
    if OTHER_SRC:
        environ["PYTHONPATH"] = OTHER_SRC
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
