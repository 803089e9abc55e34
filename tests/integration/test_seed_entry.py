"""A seeded env's pip goes into uv's pylock input as an entry: the very pip uv's cache seeds, learned from uv once.

Real uv, real local index (its pages cacheable, as PyPI's), a private uv cache per test: the first sync of a project
fills it; later fresh syncs take pip as an entry of corral's uv input (`engines.uv_seed`), never of the user's lock,
and get the pip `uv venv --seed --offline` gets from the same cache. When uv's cache learns of another pip, the entry
is learned again. Which programs ran is read from infra.faults' checkpoint log (CORRAL_FAULT_LOG).
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_sync_one_install import builds, fresh_sync, installed, primed, programs

from conftest import pyenv_python
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


@pytest.fixture
def cacheable_index(local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalIndex:
    """The local index (with the wheelhouse's pips) as uv's index, its pages cacheable, a private uv cache."""
    require_wheelhouse("pip-26.3-*.whl", "pip-24.0-*.whl")
    monkeypatch.setattr(IndexHandler, "no_cache", {"Cache-Control": "max-age=600"})
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    return local_index


def corral_cache() -> Path:
    return Path(os.environ["CORRAL_HOME"]) / "cache"


def records() -> dict[str, dict[str, str]]:
    """The seed entries corral recorded, by file name."""
    folder = corral_cache() / "seed-wheels"
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in found}


def inputs_with_pip() -> list[str]:
    """uv's input files (corral's cache) that hold a pip entry."""
    return [
        path.read_text(encoding="utf-8")
        for path in (corral_cache() / "uv-input").glob("*/pylock.toml")
        if '\nname = "pip"\n' in path.read_text(encoding="utf-8")
    ]


def uv_line_seed(tmp_path: Path) -> str | None:
    """The pip a seed line (`pip`, `--no-deps --offline`, as the lines beside hashed ones) installs from this cache."""
    env = tmp_path / "uv-line-seed"
    python = str(pyenv_python("3.12"))
    subprocess.run(["rm", "-rf", str(env)], check=True)
    subprocess.run([uv_binary(), "venv", str(env), "--python", python, "--quiet"], check=True, timeout=120)
    cmd = [uv_binary(), "pip", "install", "--python", str(env / "bin" / "python"), "--no-deps", "--offline", "-r", "-"]
    done = subprocess.run(cmd, input="pip\n", capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return installed_distributions(Env.at(env).site_packages()).get("pip")


def test_a_seeded_env_takes_pip_as_an_entry_of_uvs_input_never_of_the_lock(
    tmp_path: Path, cacheable_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a project synced once (uv's cache now holds the lock's files, pip and pip's page)
    root, log = primed(tmp_path, cacheable_index, corral, monkeypatch)
    lock_before = (root / "pylock.toml").read_bytes()
    learned = records()
    # when: a new env is synced offline, twice
    for _ in range(2):
        again = fresh_sync(root, corral, log, "--offline")
        # then: one uv install, pip in it as the cache's own pip, no upgrade after it
        assert again.exit_code == 0, again.stderr
        assert programs(log) == ["uv pip install"], programs(log)
        assert installed(root).get("pip") == "26.3"
        assert records() == learned, "nothing new to learn: uv's cache holds what it held"
    (entry,) = {json.dumps(r, sort_keys=True): r for r in learned.values()}.values()
    assert entry["version"] == "26.3"
    assert entry["url"] == f"{cacheable_index.url}/files/pip-26.3-py3-none-any.whl"
    assert entry["index"].rstrip("/") == cacheable_index.simple_url
    assert inputs_with_pip(), "pip went into uv's pylock input"
    assert all(entry["sha256"] in text for text in inputs_with_pip()), "with its hash, which uv verifies"
    assert (root / "pylock.toml").read_bytes() == lock_before, "the user's lock is never touched"
    assert uv_line_seed(tmp_path) == "26.3", "the pip a seed line installs from this cache"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert builds(root) == 1, "the project came from uv's cache in the same install"
    pip = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert pip.returncode == 0 and "pip 26.3" in pip.stdout, pip.stderr
    freeze = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "freeze", "--all"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "pip==26.3" in freeze.stdout.splitlines(), "installed as an index package, as a seed line installs it"


def test_a_pip_page_uv_fetches_again_is_learned_again(
    tmp_path: Path, cacheable_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is what a seed line would install now: when uv's cached page of pip changes, so does the entry."""
    # given: an index whose newest pip is 24.0 (below doctor's floor: each sync asks the index for a newer one)
    newest = "pip-26.3-py3-none-any.whl"
    held = cacheable_index.files[newest]
    monkeypatch.delitem(cacheable_index.files, newest)
    root, log = primed(tmp_path, cacheable_index, corral, monkeypatch)
    again = fresh_sync(root, corral, log, "--offline")
    assert again.exit_code == 0, again.stderr
    assert {r["version"] for r in records().values()} == {"24.0"}
    assert installed(root).get("pip") == "24.0" == uv_line_seed(tmp_path)
    assert programs(log) == ["uv pip install", "uv pip install pip"], "the seed, then the index asked for a newer pip"
    assert not inputs_with_pip(), "a pip below doctor's floor keeps its seed line (a replay checks its version)"
    # when: pip 26.3 is published and uv fetches pip's page again (another uv command, as a user's)
    monkeypatch.setitem(cacheable_index.files, newest, held)
    scratch = tmp_path / "scratch"
    for cmd in (
        ["venv", str(scratch), "--python", str(pyenv_python("3.12")), "--quiet"],
        ["pip", "install", "--python", str(scratch / "bin" / "python"), "--refresh-package", "pip", "pip", "--quiet"],
    ):
        done = subprocess.run([uv_binary(), *cmd], capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr
    # then: the next new env's entry is 26.3, in one uv install
    third = fresh_sync(root, corral, log, "--offline")
    assert third.exit_code == 0, third.stderr
    assert programs(log) == ["uv pip install"], programs(log)
    assert installed(root).get("pip") == "26.3" == uv_line_seed(tmp_path)
    assert {r["version"] for r in records().values()} == {"24.0", "26.3"}


def pages_cached(tmp_path: Path, *pins: str) -> None:
    """The index pages of `pins` in uv's cache (an install into a scratch env fetches them)."""
    scratch = tmp_path / "pages"
    for cmd in (
        ["venv", str(scratch), "--python", str(pyenv_python("3.12")), "--quiet"],
        ["pip", "install", "--python", str(scratch / "bin" / "python"), "--no-deps", *pins, "--quiet"],
    ):
        done = subprocess.run([uv_binary(), *cmd], capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr


def test_a_tampered_record_is_not_used(
    tmp_path: Path, cacheable_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record naming a file on another host, or a hash that is not the wheel's, never installs that file."""
    root, log = primed(tmp_path, cacheable_index, corral, monkeypatch)
    assert fresh_sync(root, corral, log, "--offline").exit_code == 0
    entry = next(iter(records().values()))
    folder = corral_cache() / "seed-wheels"

    def tamper(**values: str) -> None:
        for path in folder.glob("*.json"):
            path.write_text(json.dumps(dict(entry, **values)), encoding="utf-8")

    # another host: the record is refused, and learned again from uv
    tamper(url=entry["url"].replace("127.0.0.1", "localhost"))
    result = fresh_sync(root, corral, log, "--offline")
    assert result.exit_code == 0, result.stderr
    assert programs(log) == ["uv pip install"], programs(log)
    assert installed(root).get("pip") == "26.3"
    assert entry in records().values()
    # a wrong hash: uv refuses the file, the record is dropped, each part goes apart and the env is whole; the parts'
    # lines read the index pages, which the pylock inputs never fetched (a lock on this machine does): cached here
    pages_cached(tmp_path, "alpha==1.1", "beta==1.0", "delta==1.2")
    tamper(sha256="0" * 64)
    kept = set(records())
    result = fresh_sync(root, corral, log, "--offline")
    assert result.exit_code == 0, result.stderr
    assert "uv pip install pip" in programs(log), programs(log)
    assert installed(root).get("pip") == "26.3"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert len(set(records())) < len(kept), "the record used is forgotten: the next seeded sync learns it again"
    result = fresh_sync(root, corral, log, "--offline")
    assert result.exit_code == 0, result.stderr
    assert programs(log) == ["uv pip install"], programs(log)
    assert entry in records().values()
