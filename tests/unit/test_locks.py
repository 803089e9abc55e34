"""infra.locks: the one cross-process lock (fcntl on POSIX, msvcrt on Windows), held against a real second process."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from corral.errors import LockError
from corral.infra.locks import LockTimeout, file_lock
from corral.services.transaction import project_lock, project_lock_path

_HOLDER = """
import sys
from pathlib import Path
from corral.infra.locks import file_lock
with file_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def held_elsewhere(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the lock on `path` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder
    finally:
        with contextlib.suppress(BrokenPipeError):  # a test that let go already: the holder may have exited
            holder.stdin.write("\n")
            holder.stdin.close()
        holder.wait(timeout=30)


def test_lock_creates_its_folder_and_file_and_keeps_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "x.lock"
    with file_lock(path):
        assert path.is_file()
    assert path.is_file()  # never removed: a second process could otherwise lock a new file beside a held old one
    with file_lock(path):  # released: taken again at once
        pass


def test_a_lock_held_by_another_process_times_out_and_says_so_once(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    waits: list[str] = []
    with held_elsewhere(path):
        start = time.monotonic()
        with pytest.raises(LockTimeout) as caught, file_lock(path, timeout=0.3, on_wait=lambda: waits.append("w")):
            pytest.fail("the lock was taken while another process held it")
        assert time.monotonic() - start >= 0.3
    assert waits == ["w"]
    assert caught.value.path == path
    assert isinstance(caught.value, TimeoutError)
    with file_lock(path, timeout=5, on_wait=lambda: waits.append("again")):  # the holder exited: free
        pass
    assert waits == ["w"]


def test_a_waiter_gets_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    order: list[str] = []
    with held_elsewhere(path) as holder:
        assert holder.stdin is not None
        holder.stdin.write("\n")  # let go now; our wait (no timeout) must end
        holder.stdin.flush()
        with file_lock(path, on_wait=lambda: order.append("waited")):
            order.append("held")
    assert order[-1] == "held"


def test_a_second_open_of_the_same_lock_in_one_process_waits(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with file_lock(path), pytest.raises(LockTimeout), file_lock(path, timeout=0.1):
        pytest.fail("a lock is held per open file, not per process")


def test_project_lock_refuses_after_its_timeout_naming_the_project(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    refused = pytest.raises(LockError, match="another corral command has held")
    with held_elsewhere(project_lock_path(root)), refused, project_lock(root, timeout=0.2):
        pytest.fail("the project lock was taken while another process held it")
    with project_lock(root, timeout=5) as recovered, project_lock(root, timeout=0.1):  # re-entered, not re-taken
        assert recovered == []


def test_a_lock_timing_out_inside_the_project_lock_is_not_reported_as_the_project_lock(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    inner = tmp_path / "inner.lock"
    with held_elsewhere(inner), pytest.raises(LockTimeout), project_lock(root), file_lock(inner, timeout=0.1):
        pytest.fail("the inner lock was taken while another process held it")
