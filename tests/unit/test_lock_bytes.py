"""`services.sync.lock_bytes`: one read of the lock per sync, never stale bytes once the file changed.

Real files under a temporary folder; the reads themselves are counted by wrapping `infra.safe_read.read_small`.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING, Any

import pytest

from corral.errors import ConfigError
from corral.services.sync import lock_bytes

if TYPE_CHECKING:
    from pathlib import Path


def _write_keeping_fingerprint(path: Path, data: bytes) -> None:
    """New bytes of the same size under the old mtime and inode: only the ctime can tell (a test's forgery)."""
    st = path.stat()
    with path.open("r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_the_bytes_and_their_sha256_are_read_once_while_the_file_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = lock_bytes.read_small  # type: ignore[attr-defined]  # the module's import, wrapped to count reads

    def counted(path: str | os.PathLike[str], **options: Any) -> bytes:
        reads.append(os.fspath(path))
        return real(path, **options)

    monkeypatch.setattr(lock_bytes, "read_small", counted)
    lock = tmp_path / "pylock.toml"
    lock.write_bytes(b'lock-version = "1.0"\n')
    for _ in range(3):  # changed a moment ago: read each time (a same-size edit within the clock's tick looks alike)
        lock_bytes.lock_bytes(lock)
    assert reads == [str(lock)] * 3
    time.sleep(0.1)  # settled
    reads.clear()
    for _ in range(4):  # a sync's readers: the memo, the input state, the header, the selection
        lock_bytes.lock_bytes(lock)
    assert reads == [str(lock)]
    first = lock_bytes.lock_bytes(lock)
    assert first == (b'lock-version = "1.0"\n', hashlib.sha256(b'lock-version = "1.0"\n').hexdigest())
    assert lock_bytes.lock_digest(lock) == first[1]
    assert lock_bytes.lock_text(lock) == 'lock-version = "1.0"\n'
    # same size, mtime and inode: the ctime moved, so the file is read again
    _write_keeping_fingerprint(lock, b'lock-version = "2.0"\n')
    assert lock_bytes.lock_text(lock) == 'lock-version = "2.0"\n'
    assert len(reads) == 2


def test_an_edit_or_a_replaced_file_is_read_again(tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_bytes(b"one\n")
    assert lock_bytes.lock_bytes(lock)[0] == b"one\n"
    with lock.open("ab") as handle:
        handle.write(b"two\n")
    assert lock_bytes.lock_bytes(lock)[0] == b"one\ntwo\n"
    other = tmp_path / "new.toml"
    other.write_bytes(b"three\n")
    other.replace(lock)
    assert lock_bytes.lock_bytes(lock)[0] == b"three\n"
    assert lock_bytes.lock_digest(lock) == hashlib.sha256(b"three\n").hexdigest()


def test_a_missing_or_odd_lock_is_the_readers_own_error(tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    assert lock_bytes.lock_digest(lock) is None
    with pytest.raises(ConfigError, match=r"pylock\.toml"):
        lock_bytes.lock_bytes(lock)
    lock.mkdir()
    assert lock_bytes.lock_digest(lock) is None
    with pytest.raises(ConfigError, match=r"pylock\.toml"):
        lock_bytes.lock_text(lock)


def test_a_lock_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_bytes(b"name = '\xff'\n")
    assert lock_bytes.lock_digest(lock) == hashlib.sha256(b"name = '\xff'\n").hexdigest()
    with pytest.raises(ConfigError, match="not UTF-8"):
        lock_bytes.lock_text(lock)
