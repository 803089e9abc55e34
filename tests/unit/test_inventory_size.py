from __future__ import annotations

import os
from pathlib import Path

from corral.inventory.size import SizeCounter


def _blocks(path: Path) -> int:
    return os.lstat(path).st_blocks * 512


def test_size_counts_blocks_not_apparent_size(tmp_path: Path) -> None:
    env = tmp_path / "e"
    env.mkdir()
    with (env / "sparse").open("wb") as handle:
        handle.seek(50 * 1024 * 1024)
        handle.write(b"x")
    measured = SizeCounter().measure(env)
    assert measured.bytes < 1024 * 1024  # a 50 MB sparse file uses a few blocks
    assert measured.bytes == _blocks(env / "sparse")


def test_hard_linked_files_are_counted_once_across_the_listing(tmp_path: Path) -> None:
    # given a "cache" file hard-linked into two envs (as uv does)
    cache, a, b = tmp_path / "cache", tmp_path / "a", tmp_path / "b"
    for folder in (cache, a, b):
        folder.mkdir()
    (cache / "wheel.py").write_bytes(os.urandom(256 * 1024))
    os.link(cache / "wheel.py", a / "wheel.py")
    os.link(cache / "wheel.py", b / "wheel.py")
    (a / "own.py").write_bytes(os.urandom(64 * 1024))
    shared, own = _blocks(cache / "wheel.py"), _blocks(a / "own.py")
    # when one counter measures both
    counter = SizeCounter()
    size_a, size_b = counter.measure(a), counter.measure(b)
    # then the shared file is counted for the first env only, and never as freeable
    assert size_a.bytes == shared + own
    assert size_b.bytes == 0
    assert size_a.exclusive == own


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    (big / "data").write_bytes(os.urandom(512 * 1024))
    env = tmp_path / "env"
    env.mkdir()
    os.symlink(big, env / "link")
    assert SizeCounter().measure(env).bytes < 64 * 1024
