"""A committed pylock.toml without corral's stamp (a fresh clone): kept when uv's cache alone resolves it again.

`corral lock` first resolves the same way with `uv lock --offline`; a lock equal to the byte is kept without asking
the index, anything else (a cache without the pages, changed declarations) resolves online as before.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the five-selection demo project against the local index

from corral.infra import uvbin
from support.index import IndexHandler

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


@pytest.fixture
def uv_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """uv behind a wrapper that writes down the arguments of each `uv lock`; the log's path.

    The local index lets uv keep its pages, as PyPI does (it says `no-store` to every other test), in a uv cache of
    this test's own: no other test is answered from those pages.
    """
    monkeypatch.setattr(IndexHandler, "no_cache", {"Cache-Control": "max-age=600"})
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    real = uvbin.uv_binary()
    log = tmp_path / "locks.log"
    log.touch()
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = "lock" ]; then echo "$@" >> "{log}"; fi\nexec "{real}" "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(wrapper))
    return log


def cloned(tmp_path: Path, corral: Corral) -> Path:
    """A locked project copied to a folder corral never locked (no stamp vouches for its lock)."""
    (tmp_path / "first").mkdir()
    root = make_project(tmp_path / "first")
    assert corral("lock", cwd=root).exit_code == 0
    shutil.copytree(root, tmp_path / "clone")
    return tmp_path / "clone"


def test_a_clone_whose_lock_the_cache_resolves_again_is_kept_without_the_index(
    tmp_path: Path, corral: Corral, indexed: str, uv_locks: Path
) -> None:
    clone = cloned(tmp_path, corral)
    before = (clone / "pylock.toml").read_bytes()
    uv_locks.write_text("", encoding="utf-8")
    result = corral("lock", "--json", cwd=clone)
    assert result.exit_code == 0, result.stderr
    runs = uv_locks.read_text(encoding="utf-8").splitlines()
    assert len(runs) == 1 and "--offline" in runs[0].split()
    assert '"written": false' in result.stdout
    assert (clone / "pylock.toml").read_bytes() == before
    uv_locks.write_text("", encoding="utf-8")
    assert corral("lock", cwd=clone).exit_code == 0
    assert uv_locks.read_text(encoding="utf-8") == "", "stamped: the next lock is a no-op"


def test_a_cache_without_the_pages_resolves_online_to_the_same_lock(
    tmp_path: Path, corral: Corral, indexed: str, uv_locks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = cloned(tmp_path, corral)
    before = (clone / "pylock.toml").read_bytes()
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    uv_locks.write_text("", encoding="utf-8")
    assert corral("lock", cwd=clone).exit_code == 0
    runs = [line.split() for line in uv_locks.read_text(encoding="utf-8").splitlines()]
    assert len(runs) == 2 and "--offline" in runs[0] and "--offline" not in runs[1]
    assert (clone / "pylock.toml").read_bytes() == before


def test_changed_declarations_resolve_online_only(tmp_path: Path, corral: Corral, indexed: str, uv_locks: Path) -> None:
    clone = cloned(tmp_path, corral)
    pyproject = clone / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('"beta"]', '"beta", "gamma"]'), "utf-8")
    uv_locks.write_text("", encoding="utf-8")
    assert corral("lock", cwd=clone).exit_code == 0
    runs = uv_locks.read_text(encoding="utf-8").splitlines()
    assert len(runs) == 1 and "--offline" not in runs[0].split()
    assert 'name = "gamma"' in (clone / "pylock.toml").read_text(encoding="utf-8")
