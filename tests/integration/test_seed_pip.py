"""A fresh env passes corral's own doctor: its pip is the newest the index has, even when uv's cache holds an old one.

uv's cache is filled the way a machine fills it: a pip 24.0 fetched earlier (as for a Python 3.7 env) next to a
cacheable index page. `uv venv --seed --offline` then seeds that pip into a Python 3.12 env; corral must not stop
there while the index offers pip 26.3, and must still create the env when the index is gone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.core.env import Env
from corral.infra.uvbin import uv_binary
from corral.services.inspection import installed_distributions
from support.index import IndexHandler, LocalIndex, serve_index
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conftest import RunResult

pytestmark = pytest.mark.integration


@pytest.fixture
def primed_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIndex]:
    """An index with real pips whose pages uv may cache (as PyPI's), and a private uv cache holding pip 24.0 only."""
    wheelhouse = require_wheelhouse("pip-24.0-*.whl", "pip-26.3-*.whl")
    python = pyenv_python("3.12")
    monkeypatch.setattr(IndexHandler, "no_cache", {"Cache-Control": "max-age=600"})
    with serve_index(wheelhouse) as index:
        monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
        monkeypatch.setenv("UV_INDEX_URL", index.simple_url)
        prime = tmp_path / "prime"
        for cmd in (
            ["venv", str(prime), "--python", str(python), "--quiet"],
            ["pip", "install", "--python", str(prime / "bin" / "python"), "pip==24.0", "--quiet"],
        ):
            done = subprocess.run([uv_binary(), *cmd], capture_output=True, text=True, check=False, timeout=120)
            assert done.returncode == 0, done.stderr
        yield index


def seeded_pip(env: Path) -> str | None:
    found = installed_distributions(Env.at(env).site_packages())
    return found.get("pip")


def _offline_seed(tmp_path: Path) -> str | None:
    """What `uv venv --seed --offline` alone gives from this cache (the old pip the fix must not keep)."""
    env = tmp_path / "offline-only"
    subprocess.run(
        [uv_binary(), "venv", str(env), "--python", str(pyenv_python("3.12")), "--seed", "--offline", "--quiet"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return seeded_pip(env)


@pytest.mark.parametrize("creator", ["uv", "venv"])
def test_a_fresh_env_gets_the_index_s_newest_pip_and_passes_doctor(
    creator: str,
    project: Path,
    tmp_path: Path,
    primed_cache: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    assert _offline_seed(tmp_path) == "24.0", "the cache is primed with an old pip"
    made = corral("venv", "--python", "3.12", "--creator", creator, cwd=project)
    assert made.exit_code == 0, made.stderr
    assert seeded_pip(project / ".venv") == "26.3"
    doctor = corral("doctor", cwd=project)
    assert "pip-outdated" not in doctor.stdout, doctor.stdout


def test_without_the_index_the_cached_pip_still_makes_a_working_env(
    project: Path,
    primed_cache: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    primed_cache.stop()  # the index is gone: seeding must not fail for want of a newer pip
    made = corral("venv", "--python", "3.12", cwd=project)
    assert made.exit_code == 0, made.stderr
    assert seeded_pip(project / ".venv") == "24.0"
    pip = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-m", "pip", "-V"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert pip.returncode == 0 and "pip 24.0" in pip.stdout
    doctor = corral("doctor", cwd=project)
    assert "pip-outdated" in doctor.stdout, "doctor still says the pip is old, with its fix"
