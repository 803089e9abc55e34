"""`uv export` once per selection, side by side: the same lock as one after the other, and a failure writes nothing."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the five-selection demo project against the local index

from corral.infra import uvbin
from corral.resolvers import uv_exports as uv_resolver

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def test_side_by_side_exports_give_the_lock_one_at_a_time_gives(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = []
    for workers in (uv_resolver.EXPORT_WORKERS, 1):
        monkeypatch.setattr(uv_resolver, "EXPORT_WORKERS", workers)
        (tmp_path / f"workers-{workers}").mkdir()
        root = make_project(tmp_path / f"workers-{workers}")
        result = corral("lock", cwd=root)
        assert result.exit_code == 0, result.stderr
        texts.append((root / "pylock.toml").read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    assert "'test' in dependency_groups" in texts[0] and "'fast' in extras" in texts[0]


def test_a_failing_export_names_its_own_error_and_nothing_is_written(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two exports fail, the later selection first: the error is the earlier one's, no lock, no temp project left."""
    real = uvbin.uv_binary()
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do\n'
        '  if [ "$prev" = "--only-group" ] && [ "$arg" = "test" ]; then\n'
        '    sleep 0.5; echo "error: the export of group test broke" >&2; exit 2\n'
        "  fi\n"
        '  if [ "$prev" = "--only-group" ] && [ "$arg" = "win" ]; then\n'
        '    echo "error: the export of group win broke" >&2; exit 2\n'
        "  fi\n"
        '  prev="$arg"\n'
        "done\n"
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(wrapper))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    root = make_project(tmp_path)
    result = corral("lock", cwd=root)
    assert result.exit_code != 0
    assert "group test broke" in result.stderr and "group win broke" not in result.stderr
    assert not (root / "pylock.toml").exists()
    assert not [p.name for p in temp.iterdir() if p.name.startswith("corral-lock-")]
    monkeypatch.setattr(uvbin, "uv_binary", lambda: real)
    assert corral("lock", cwd=root).exit_code == 0, "the same project locks once uv answers"
