"""Shared fixtures: hygiene, isolated corral folders, real interpreters, the in-process CLI runner.

The local package index fixtures live in tests/support/fixtures.py (loaded as a plugin below).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Protocol

import pytest

pytest_plugins = ["support.fixtures"]

PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The interpreters the suite expects on this machine: version -> pyenv folder prefix.
EXPECTED_PYTHONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")

_LEAKY = ("PIP_", "UV_", "CORRAL_", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "JUPYTER_")

# One uv cache for the whole run, shared by the xdist workers (they inherit the variable), removed at the end. The
# local indexes listen on a new port each run, so every wheel they serve is a new cache entry: in the developer's
# own ~/.cache/uv they piled up by the gigabyte (3 000 unpacked copies of pip after a day of runs).
_RUN_UV_CACHE = "CORRAL_TESTS_UV_CACHE"
_uv_cache_key = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The controller (or a run without xdist) makes the run's uv cache before any worker starts."""
    if hasattr(config, "workerinput") or os.environ.get(_RUN_UV_CACHE):
        return
    folder = tempfile.mkdtemp(prefix="corral-tests-uv-cache-")
    os.environ[_RUN_UV_CACHE] = folder
    os.environ["UV_CACHE_DIR"] = folder  # session fixtures run before the per-test isolation below
    config.stash[_uv_cache_key] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's uv cache (only the process that made it)."""
    folder = config.stash.get(_uv_cache_key, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(_RUN_UV_CACHE, None)


def missing(reason: str) -> NoReturn:
    """Skip locally; fail under CI, where every expected tool must be present."""
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def pyenv_python(version: str) -> Path:
    """The pyenv interpreter for a "3.12"-style version (skip/fail when absent)."""
    versions = PYENV_ROOT / "versions"
    found = sorted(versions.glob(f"{version}.*")) if versions.is_dir() else []
    for folder in reversed(found):
        exe = folder / "bin" / f"python{version}"
        if exe.exists():
            return exe
    missing(f"no pyenv Python {version} under {versions}")
    raise AssertionError  # unreachable: missing() raises


@pytest.fixture(scope="session")
def pythons() -> dict[str, Path]:
    """Every expected interpreter that exists here, by "3.12"-style version."""
    result = {}
    for version in EXPECTED_PYTHONS:
        folder = sorted((PYENV_ROOT / "versions").glob(f"{version}.*"))
        if folder and (folder[-1] / "bin" / f"python{version}").exists():
            result[version] = folder[-1] / "bin" / f"python{version}"
    return result


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Shield every test from the machine's pip/uv/corral settings and from an active env; check hygiene."""
    run_uv_cache = os.environ.get(_RUN_UV_CACHE)
    for key in list(os.environ):
        if key.startswith(_LEAKY):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("corral-home")
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_INPUT", "1")
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    if run_uv_cache:  # never the developer's ~/.cache/uv
        monkeypatch.setenv("UV_CACHE_DIR", run_uv_cache)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter"))
    monkeypatch.setenv("CORRAL_AUTO_PRUNE", "0")  # no detached prune outliving a test (test_cache_command's own)
    monkeypatch.setenv("CORRAL_NAME_CHECK", "0")  # `corral init` would ask PyPI about the name; a test asks its index
    cwd = Path.cwd()
    yield
    assert Path.cwd() == cwd, "test changed the working directory without restoring it"


@dataclass(frozen=True)
class RunResult:
    """What an in-process corral invocation returned and printed."""

    exit_code: int
    stdout: str
    stderr: str


class Corral(Protocol):
    """The `corral` fixture's type: the CLI run in-process."""

    def __call__(self, *args: str, cwd: Path | None = None) -> RunResult: ...


@pytest.fixture
def corral() -> Corral:
    """Run the CLI in-process: corral("venv", "--python", "3.12", cwd=path) -> RunResult."""

    def _run(*args: str, cwd: Path | None = None) -> RunResult:
        from corral.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        argv = (["-C", str(cwd)] if cwd else []) + list(args)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
        return RunResult(code, out.getvalue(), err.getvalue())

    return _run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder with a minimal pyproject.toml."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n',
        encoding="utf-8",
    )
    return root


def corral_exe() -> list[str]:
    """Command that runs corral in a subprocess (same interpreter as the tests)."""
    return [sys.executable, "-m", "corral"]
