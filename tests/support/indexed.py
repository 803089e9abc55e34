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


def outer_sibling(mono: Path, tool: str = "") -> Path:
    """mono/outer: a source tree (the sibling's stdlib backend) of `outer` 1.0, which requires `sdistonly`.

    `tool`: TOML tables written into its pyproject.toml before `[build-system]` (`[tool.uv.sources]`).
    """
    import shutil

    outer = mono.parent / "outer"
    outer.mkdir()
    shutil.copy(mono.parent / "sdistonly-1.0" / "tinybackend.py", outer / "tinybackend.py")
    (outer / "outer.py").write_text("VALUE = 1\n", encoding="utf-8")
    (outer / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: outer\nVersion: 1.0\nRequires-Dist: sdistonly\n", encoding="utf-8"
    )
    (outer / "pyproject.toml").write_text(
        f'[project]\nname = "outer"\nversion = "1.0"\ndependencies = ["sdistonly"]\n\n{tool}'
        '[build-system]\nrequires = []\nbuild-backend = "tinybackend"\nbackend-path = ["."]\n',
        encoding="utf-8",
    )
    return outer
