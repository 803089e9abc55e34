"""A new env from the lock in one `uv pip install`: the locked files (hashes verified), pip, the project editable.

Which programs a sync ran is read from infra.faults' checkpoint log (CORRAL_FAULT_LOG names every `engine:WHAT`
run through infra.proc), so nothing here replaces the code under test. The local index is served cacheable (as
PyPI is) and uv's cache is private to each test, so the first sync fills it and a second one in a new env can be
served offline, as on a machine with warm caches.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project
from test_sync import _COUNTING  # the backend's editable builds, counted

from conftest import corral_exe, pyenv_python
from corral.core.env import Env
from corral.infra.uvbin import uv_binary
from corral.services.inspection import installed_distributions
from support.index import IndexHandler
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

W = "py2.py3-none-any.whl"
PROJECT = {"deps": ["beta"], "groups": {"dev": ["delta"]}}


@pytest.fixture
def cached_index(local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalIndex:
    """The local index (with the wheelhouse's pip) as uv's and pip's index, its pages cacheable, a private uv cache."""
    require_wheelhouse("pip-26.3-*.whl")
    monkeypatch.setattr(IndexHandler, "no_cache", {"Cache-Control": "max-age=600"})
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    return local_index


def make_project(tmp_path: Path, index: LocalIndex, *, bad_hash: bool = False) -> Path:
    """A package project (counting its editable builds) pinned to 3.12, locked to alpha, beta and delta (dev)."""
    pyenv_python("3.12")
    root = write_project(tmp_path / "proj", package=True, **PROJECT)  # type: ignore[arg-type]
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    with (root / "_build" / "demo_backend.py").open("a", encoding="utf-8") as backend:
        backend.write(_COUNTING)
    lock(root, index, bad_hash=bad_hash)
    return root


def lock(root: Path, index: LocalIndex, *, bad_hash: bool = False) -> None:
    entries = [
        Entry(f"alpha-1.1-{W}", bad_hash=bad_hash),
        Entry(f"beta-1.0-{W}"),
        Entry(f"delta-1.2-{W}", marker="'dev' in dependency_groups"),
    ]
    write_lock(root, index, entries, dict(os.environ), groups=["dev"], default_groups=["dev"])


def installed(root: Path) -> dict[str, str]:
    found = installed_distributions(Env.at(root / ".venv").site_packages())
    return {k.lower().replace("_", "-"): v for k, v in found.items()}


def programs(log: Path) -> list[str]:
    """The external programs a command ran, in order (`engine:WHAT` checkpoints)."""
    if not log.exists():
        return []
    names = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]  # "pid name"
    return [name.removeprefix("engine:") for name in names if name.startswith("engine:")]


def fresh_sync(root: Path, corral: Callable[..., RunResult], log: Path, *args: str) -> RunResult:
    """`corral sync` into a new .venv, its programs recorded in `log`."""
    subprocess.run(["rm", "-rf", str(root / ".venv")], check=True)
    log.unlink(missing_ok=True)
    return corral("sync", *args, cwd=root)


def uv_seeded_cfg(tmp_path: Path) -> str:
    """The pyvenv.cfg `uv venv --seed` writes for the project's env (its prompt, Python 3.12)."""
    made = tmp_path / "uv-seeded"
    cmd = [uv_binary(), "venv", str(made), "--python", str(pyenv_python("3.12")), "--seed", "--quiet"]
    done = subprocess.run([*cmd, "--prompt", "demo"], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return (made / "pyvenv.cfg").read_text(encoding="utf-8")


def builds(root: Path) -> int:
    log = root / "_build" / "builds.log"
    return log.read_text(encoding="utf-8").count("built") if log.exists() else 0


def primed(
    tmp_path: Path, index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """The project synced once (uv's private cache filled from the index); its programs logged from now on."""
    root = make_project(tmp_path, index)
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    first = fresh_sync(root, corral, log)
    assert first.exit_code == 0, first.stderr
    assert builds(root) == 1
    return root, log


def test_a_new_env_takes_one_uv_pip_install_for_the_lock_pip_and_the_project(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)
    again = fresh_sync(root, corral, log, "--offline")  # warm cache: pip and every file come from it
    assert again.exit_code == 0, again.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert "ensurepip" not in programs(log)
    have = installed(root)
    assert {"alpha", "beta", "delta", "demo"} <= set(have), have
    assert have.get("pip") == "26.3", "the env is seeded (corral's default), from uv's cache"
    record = json.loads((root / ".venv" / "corral-env.json").read_text(encoding="utf-8"))
    assert record["options"]["seed"] is True
    assert (root / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8") == uv_seeded_cfg(tmp_path), "as uv seeds"
    assert " + demo (editable)" in again.stdout
    assert builds(root) == 1, "the editable project came from uv's cache"
    stat = (root / "pyproject.toml").stat()
    os.utime(root / "pyproject.toml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    third = fresh_sync(root, corral, log, "--offline")
    assert third.exit_code == 0, third.stderr
    assert builds(root) == 2, "pyproject.toml changed: the project is built again"
    assert programs(log).count("uv pip install") == 1, programs(log)
    noop = corral("sync", cwd=root)
    assert noop.exit_code == 0, noop.stderr
    assert "pip" in installed(root), "a later sync keeps the seed"


def test_no_seed_still_installs_the_lock_and_the_project_in_one_process(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)
    monkeypatch.setenv("CORRAL_SEED", "0")
    result = fresh_sync(root, corral, log, "--offline")
    assert result.exit_code == 0, result.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert "pip" not in installed(root)
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))


def test_a_tampered_hash_is_refused_though_the_file_is_in_uvs_cache(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)  # the real alpha is now in uv's cache
    lock(root, cached_index, bad_hash=True)
    monkeypatch.setenv("UV_NO_VERIFY_HASHES", "1")  # a caller's setting cannot switch the check off
    for args in ((), ("--offline",)):
        result = fresh_sync(root, corral, log, *args)
        assert result.exit_code == 1, result.stdout
        assert "alpha" in result.stderr
        assert "hash" in result.stderr.lower()
        assert "alpha" not in installed(root), "the file whose hash the lock does not name was not installed"


@pytest.mark.parametrize("point", ["engine:uv pip install", "engine-done:uv pip install"])
def test_a_new_env_killed_at_its_install_gets_its_pip_from_the_next_sync(
    point: str,
    tmp_path: Path,
    cached_index: LocalIndex,
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = primed(tmp_path, cached_index, corral, monkeypatch)
    subprocess.run(["rm", "-rf", str(root / ".venv")], check=True)
    killed = subprocess.run(
        [*corral_exe(), "sync"], cwd=root, env={**os.environ, "CORRAL_FAULT": point}, capture_output=True, check=False
    )
    assert killed.returncode == -9, killed.stderr
    assert (root / ".venv" / "corral-env.json").is_file(), "the env was made (and recorded as seeded) before"
    result = corral("sync", cwd=root)
    assert result.exit_code == 0, result.stderr
    have = installed(root)
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(have), have
    doctor = corral("doctor", cwd=root)
    assert "pip-missing" not in doctor.stdout, doctor.stdout


def test_an_empty_cache_is_filled_by_one_call_online_and_the_next_env_by_one_offline(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A set of files corral never installed here goes to the index at once (an offline try on an empty cache
    built the project only to fail, then built it again online); a set it installed before is served offline."""
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    done = fresh_sync(root, corral, log)
    assert done.exit_code == 0, done.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert builds(root) == 1
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
    again = fresh_sync(root, corral, log, "--offline")
    assert again.exit_code == 0, again.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
