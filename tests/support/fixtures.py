"""Pytest fixtures for installing from the local test index (load with ``pytest_plugins``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from support.index import LocalIndex, serve_index
from support.wheelhouse import WHEELHOUSE
from support.wheels import build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

DROPPED_PREFIXES = ("PIP_", "UV_")
DROPPED_NAMES = frozenset({"VIRTUAL_ENV", "CONDA_PREFIX"})


def isolated_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return `base` (default os.environ) without pip/uv/venv settings, plus variables that shut out config."""
    source = os.environ if base is None else base
    environ = {
        name: value
        for name, value in source.items()
        if not name.startswith(DROPPED_PREFIXES) and name not in DROPPED_NAMES
    }
    environ.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INPUT="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
    )
    return environ


@pytest.fixture
def clean_env() -> dict[str, str]:
    """Return a fresh environment for running pip/uv untouched by this machine's settings."""
    return isolated_environ()


@pytest.fixture(scope="session")
def built_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Build the hand-made test catalogue once per session (per xdist worker) and map names to files."""
    return build_packages(tmp_path_factory.mktemp("packages"))


@pytest.fixture(scope="session")
def local_index(built_packages: dict[str, list[Path]]) -> Iterator[LocalIndex]:
    """Serve the test catalogue, and the seed wheelhouse if present, as a PEP 503 index on 127.0.0.1."""
    package_dir = next(iter(built_packages.values()))[0].parent
    dirs = [package_dir] + ([WHEELHOUSE] if WHEELHOUSE.is_dir() else [])
    with serve_index(*dirs) as index:
        yield index


@pytest.fixture
def mono(
    tmp_path: Path, built_packages: dict[str, list[Path]], monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> Path:
    """tmp/mono/proj (`support.indexed.indexed_project`, offline) beside tmp/mono/sdistonly-1.0 (a source tree).

    The sibling builds by the stdlib backend shipped in it (`support.tinybackend`), editable too; `UV_OFFLINE=1`:
    nothing comes from an index.
    """
    import tarfile

    from support.indexed import indexed_project

    folder = tmp_path / "mono"
    with tarfile.open(built_packages["sdistonly"][0]) as archive:
        archive.extractall(folder, filter="data")
    app = indexed_project(folder, monkeypatch, local_index)
    monkeypatch.setenv("UV_OFFLINE", "1")
    return app
