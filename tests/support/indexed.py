"""A project on Python 3.12 whose package index is the local test index (for CLI tests that lock and install)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import pyenv_python

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from support.index import LocalIndex


def indexed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> Path:
    """`tmp_path/proj`: no dependencies, no pip seeded; uv and pip ask `local_index` only."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\n'
        "dependencies = []\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (folder / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return folder
