from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from corral.inventory import size_cache
from corral.inventory.size import SizeCounter, Tally, walk_footprint

if TYPE_CHECKING:
    import pytest


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


def test_footprints_added_up_count_a_hard_linked_file_once_like_one_counter(tmp_path: Path) -> None:
    # given a file hard-linked into two envs, and a copy of one env made with `cp -al`
    cache, a, b = tmp_path / "cache", tmp_path / "a", tmp_path / "b"
    for folder in (cache, a / "site-packages" / "pkg", b / "site-packages" / "pkg"):
        folder.mkdir(parents=True)
    (cache / "wheel.py").write_bytes(os.urandom(256 * 1024))
    os.link(cache / "wheel.py", a / "site-packages" / "pkg" / "wheel.py")
    os.link(cache / "wheel.py", b / "site-packages" / "pkg" / "wheel.py")
    (a / "own.py").write_bytes(os.urandom(64 * 1024))
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-al", str(a), str(copy)], check=True)
    # when their footprints are walked separately and added up later
    counter, tally, pools = SizeCounter(), Tally(), {}
    expected = [counter.measure(env) for env in (a, b, copy)]
    footprints = []
    for env in (a, b, copy):
        footprint, pool = walk_footprint(env)
        footprints.append(footprint)
        pools.update(pool)
    # then each env's share and the total are what one counter finds, and the linked package is one group
    assert [tally.add(f, pools) for f in footprints] == [e.bytes for e in expected]
    assert [f.private for f in footprints][:2] == [e.exclusive for e in expected][:2]
    digests = [{digest for digest, _ in f.groups} for f in footprints]
    assert len(digests[0] & digests[1]) == 1  # the package both link
    assert digests[0] == digests[2]  # the copy links all that `a` links (own.py now has two links too)


def _site_env(root: Path) -> Path:
    package = root / "lib" / "python3.12" / "site-packages" / "pkg"
    package.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (package / "__init__.py").write_bytes(b"x" * 10_000)
    return root


def test_a_cached_size_is_used_until_an_install_changes_site_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(size_cache, "_TICK", -1.0)  # the test's changes come within the file system's clock tick
    env = str(_site_env(tmp_path / "env"))
    path = tmp_path / "cache" / size_cache.CACHE_NAME
    first = size_cache.SizeCache(path)
    measured, cached = first.footprint(env)
    assert not cached
    first.save({env})
    # a new listing finds it in the cache
    assert size_cache.SizeCache(path).footprint(env) == (measured, True)
    # a file edited by hand inside a package folder is not seen (the documented limit: --refresh measures again)
    with open(os.path.join(env, "lib", "python3.12", "site-packages", "pkg", "__init__.py"), "ab") as handle:
        handle.write(b"y" * 100_000)
    assert size_cache.SizeCache(path).footprint(env)[1] is True
    assert size_cache.SizeCache(path, refresh=True).footprint(env)[0].private > measured.private
    # an install (a new dist-info folder in site-packages) is
    (Path(env) / "lib" / "python3.12" / "site-packages" / "pkg-1.0.dist-info").mkdir()
    again, cached = size_cache.SizeCache(path).footprint(env)
    assert not cached
    assert again.private > measured.private


def test_a_walk_past_its_deadline_stops_and_counts_nothing(tmp_path: Path) -> None:
    import time

    import pytest

    env = _site_env(tmp_path / "env")
    with pytest.raises(TimeoutError):
        walk_footprint(env, deadline=time.monotonic() - 1)
    assert walk_footprint(env, deadline=time.monotonic() + 60)[0].private == walk_footprint(env)[0].private


def test_a_save_keeps_what_another_process_measured_meanwhile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(size_cache, "_TICK", -1.0)  # the test's envs are made within the file system's clock tick
    one, two = str(_site_env(tmp_path / "one")), str(_site_env(tmp_path / "two"))
    path = tmp_path / "cache" / size_cache.CACHE_NAME
    # given a listing that read the (empty) cache, and a background process that measures `one` and saves
    listing = size_cache.SizeCache(path)
    background = size_cache.SizeCache(path)
    measured_one, _ = background.footprint(one)
    background.save()
    # when the listing measures only `two` and saves (keeping both envs)
    measured_two, _ = listing.footprint(two)
    listing.save({one, two})
    # then the file holds both, each as its walk found it
    again = size_cache.SizeCache(path)
    assert again.footprint(one) == (measured_one, True)
    assert again.footprint(two) == (measured_two, True)
    # and a listing that keeps only `two` drops `one`
    size_cache.SizeCache(path, refresh=True).save({two})
    assert size_cache.SizeCache(path).footprint(one)[1] is False
