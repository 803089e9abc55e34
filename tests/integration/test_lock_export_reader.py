"""`corral lock` reads uv's real exports with core.uv_export_read: tomllib's data for each, and the same lock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_lock import indexed, make_project  # the five-selection demo project against the local index

from corral.core import uv_export_read
from support.toml import tomllib

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def test_real_exports_are_read_to_tomllibs_data_and_lock_as_tomllib_does(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the reader watched on every export and package corral reads
    real_export, real_package = uv_export_read.read_export, uv_export_read.read_package
    read: list[str] = []

    def watched_export(text: str) -> dict[str, Any] | None:
        found = real_export(text)
        assert found is not None, text[:300]  # uv's own layout: never left to tomllib
        assert repr(found) == repr(tomllib.loads(text))
        read.append(text)
        return found

    def watched_package(text: str) -> dict[str, Any] | None:
        found = real_package(text)
        if not text.lstrip().startswith("[") and "\n[" not in text:  # uv's lines only (a sub-table is tomllib's)
            assert found is not None, text[:300]
            assert repr(found) == repr(tomllib.loads(text))
        return found

    monkeypatch.setattr(uv_export_read, "read_export", watched_export)
    monkeypatch.setattr(uv_export_read, "read_package", watched_package)
    (tmp_path / "fast").mkdir()
    fast = make_project(tmp_path / "fast")
    # when
    assert corral("lock", cwd=fast).exit_code == 0
    # then: the lock is the one tomllib's reading gives
    assert read
    monkeypatch.setattr(uv_export_read, "read_export", lambda _text: None)
    monkeypatch.setattr(uv_export_read, "read_package", lambda _text: None)
    (tmp_path / "tomllib").mkdir()
    slow = make_project(tmp_path / "tomllib")
    assert corral("lock", cwd=slow).exit_code == 0
    assert (fast / "pylock.toml").read_text(encoding="utf-8") == (slow / "pylock.toml").read_text(encoding="utf-8")
