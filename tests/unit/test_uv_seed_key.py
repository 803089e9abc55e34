"""The key of a recorded seed entry (`engines.uv_seed._key`): what uv's offline choice of pip reads, and nothing else.

A folder laid out as uv's cache, its page of pip written in uv 0.13.9's layout of a cached response (payload, entry
id, HTTP policy, CRC-32, payload length); no uv runs and no index is contacted (the real uv's pages are read by
tests/integration/test_seed_entry_key.py). uv's binary is a file under a temporary folder, as `uv_binary` names it.
`https://pypi.org/simple` appears only as text: the index URL whose pages the key reads (nothing is fetched from it).
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from typing import TYPE_CHECKING

import pytest

from corral.engines import uv_seed, uv_seed_key
from corral.infra import uvbin

if TYPE_CHECKING:
    from pathlib import Path

PYPI = "https://pypi.org/simple"


def cached_response(payload: bytes, policy: bytes, entry_id: bytes = b"e" * 16) -> bytes:
    """A response as uv stores it in its cache: the CRC-32 covers the id, the policy and the payload's length."""
    length = struct.pack("<Q", len(payload))
    return payload + entry_id + policy + struct.pack("<I", zlib.crc32(entry_id + policy + length)) + length


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """uv's cache with a page of pip from PyPI, uv's binary, and the environment a seeded install gives uv."""
    folder = tmp_path / "uv-cache"
    page = folder / "simple-v28" / "pypi" / "pip.rkyv"
    page.parent.mkdir(parents=True)
    page.write_bytes(cached_response(b"pip 26.3, 26.2 ...", b"max-age=600, date=1"))
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_bytes(b"uv 0.13.9")
    (tmp_path / "python").write_bytes(b"")
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(uv))
    return folder


def key(cache: Path, index: str = PYPI, **extra: str) -> str | None:
    python = cache.parent / "python"
    environ = {"HOME": str(cache.parent), "UV_CACHE_DIR": str(cache), "UV_DEFAULT_INDEX": index, **extra}
    return uv_seed._key(python, environ)  # noqa: SLF001 - the key under test


def page(cache: Path, bucket: str = "pypi") -> Path:
    return cache / "simple-v28" / bucket / "pip.rkyv"


def test_a_page_uv_revalidates_keeps_the_key(cache: Path) -> None:
    """A 304 rewrites the policy after the payload in place; a 200 of the same page writes a new file, a new id."""
    before = key(cache)
    assert before is not None
    data = page(cache).read_bytes()
    length = struct.unpack("<Q", data[-8:])[0]
    with page(cache).open("r+b") as file:  # uv's refresh_policy: the tail only, through the same file
        file.seek(length)
        file.write(cached_response(data[:length], b"max-age=600, date=2, a longer policy")[length:])
    assert key(cache) == before
    replaced = page(cache).with_name("new")
    replaced.write_bytes(cached_response(data[:length], b"max-age=600, date=3", entry_id=b"n" * 16))
    os.replace(replaced, page(cache))  # a new response, atomically
    assert key(cache) == before


def test_a_page_that_changed_changes_the_key(cache: Path) -> None:
    """A new pip published, one yanked: another payload."""
    before = key(cache)
    page(cache).write_bytes(cached_response(b"pip 26.4, 26.3 ...", b"max-age=600, date=1"))
    assert key(cache) not in (None, before)


def test_a_page_in_another_layout_is_taken_by_its_stat(cache: Path) -> None:
    """A file that does not check out as uv's layout (a bad checksum): any write to it changes the key."""
    data = bytearray(page(cache).read_bytes())
    data[-9] ^= 1  # in the payload's length, which the CRC covers
    page(cache).write_bytes(bytes(data))
    assert uv_seed_key.page_state(str(page(cache))).startswith("stat ")
    before = key(cache)
    again = page(cache).with_name("again")
    again.write_bytes(bytes(data))
    os.replace(again, page(cache))  # the same bytes, another file
    assert key(cache) != before


def test_uvs_binary_linked_elsewhere_keeps_the_key(cache: Path) -> None:
    """pip and uv install uv's wheel by hard links from uv's cache: each link made anywhere moves the binary's ctime."""
    uv = cache.parent / "bin" / "uv"
    before = key(cache)
    ctime = uv.stat().st_ctime_ns
    time.sleep(0.05)  # past the file system clock's tick
    os.link(uv, cache.parent / "another-env-uv")
    os.unlink(cache.parent / "another-env-uv")
    assert uv.stat().st_ctime_ns != ctime
    assert key(cache) == before
    uv.write_bytes(b"uv 0.14.0")  # another uv: new content
    os.utime(uv, ns=(1, 1))
    assert key(cache) != before


def test_pypi_reads_its_own_pages_only(cache: Path) -> None:
    """uv files PyPI's pages under `pypi`; another index's under `index/<id>`, an id corral cannot compute."""
    mirror = "https://mirror.example/simple"
    before, other, slashed = key(cache), key(cache, mirror), key(cache, PYPI + "/")
    page(cache, "index/0aaf02969f50179b").parent.mkdir(parents=True)
    page(cache, "index/0aaf02969f50179b").write_bytes(cached_response(b"pip 21.3", b"p"))
    assert key(cache) == before, "a test index's page changes nothing for PyPI"
    assert key(cache, mirror) != other
    assert key(cache, PYPI + "/") != slashed, "another spelling of PyPI's index is another bucket for uv"


def test_no_key_without_a_page_or_with_find_links(cache: Path) -> None:
    assert key(cache, UV_FIND_LINKS=str(cache.parent)) is None, "files uv may choose from besides the page"
    page(cache).unlink()
    assert key(cache) is None
