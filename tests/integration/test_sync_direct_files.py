"""Without seed packages, uv fetches the locked files straight from their URLs: no index page per package.

The local index logs every request here (its handler runs in this process), so the test counts which pages and
files a sync asked for. Index packages stay index packages (no direct_url.json, `name==version` in uv's and pip's
freeze), every file's hash is checked, and uv's cache is shared with the line installs (offline either way).
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import test_sync_one_install as one_install
from pylock_helpers import Entry, write_lock, write_project
from test_sync_one_install import builds, cached_index, fresh_sync, installed, make_project, programs

from conftest import pyenv_python
from corral.infra.uvbin import uv_binary
from support.index import IndexHandler

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

__all__ = ["cached_index"]  # a fixture, used by name
LOCKED = ("alpha", "beta", "delta")


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the local index is asked for from now on."""
    seen: list[str] = []
    route = IndexHandler.route

    def logged(self: IndexHandler, *, send_body: bool) -> None:
        seen.append(self.path)
        route(self, send_body=send_body)

    monkeypatch.setattr(IndexHandler, "route", logged)
    return seen


def unseeded(tmp_path: Path, index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The counting project, synced without seed packages; its programs logged to the returned file."""
    monkeypatch.setenv("CORRAL_SEED", "0")
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    return make_project(tmp_path, index), log


def pages(seen: list[str]) -> list[str]:
    return [path for path in seen if path.startswith("/simple/")]


def direct_url_records(root: Path) -> dict[str, bool]:
    (site,) = (root / ".venv" / "lib").glob("python*/site-packages")
    return {info.name.split("-")[0].lower(): (info / "direct_url.json").is_file() for info in site.glob("*.dist-info")}


def uv_freeze(root: Path) -> list[str]:
    cmd = [uv_binary(), "pip", "freeze", "--python", str(root / ".venv" / "bin" / "python")]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout.split()


def test_an_empty_cache_fetches_the_locked_files_without_their_pages_and_the_next_env_is_offline(
    tmp_path: Path,
    cached_index: LocalIndex,
    requests: list[str],
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, log = unseeded(tmp_path, cached_index, monkeypatch)
    requests.clear()

    done = fresh_sync(root, corral, log)

    assert done.exit_code == 0, done.stderr
    assert pages(requests) == [], "no index page: the lock names each file"
    fetched = {path.rsplit("/", 1)[-1].split("-")[0] for path in requests if path.startswith("/files/")}
    assert fetched == set(LOCKED), requests
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert builds(root) == 1
    assert set(LOCKED) | {"demo"} <= set(installed(root))
    assert "pip" not in installed(root)
    records = direct_url_records(root)
    assert not any(records[name] for name in LOCKED), "installed as index packages"
    assert records["demo"], "the project is an editable install"
    frozen = uv_freeze(root)
    assert {"alpha==1.1", "beta==1.0", "delta==1.2"} <= set(frozen), frozen

    requests.clear()
    again = fresh_sync(root, corral, log, "--offline")
    assert again.exit_code == 0, again.stderr
    assert requests == []
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert builds(root) == 1, "the editable project came from uv's cache"
    assert set(LOCKED) | {"demo"} <= set(installed(root))


def test_the_cache_a_seeded_sync_filled_serves_a_direct_one_offline(
    tmp_path: Path,
    cached_index: LocalIndex,
    requests: list[str],
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "programs.log"
    seeded = fresh_sync(root, corral, log)  # pip's entry learned from its page, then every file by its URL
    assert seeded.exit_code == 0, seeded.stderr
    assert pages(requests) == ["/simple/pip/"], requests
    monkeypatch.setenv("CORRAL_SEED", "0")
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    requests.clear()

    direct = fresh_sync(root, corral, log, "--offline")

    assert direct.exit_code == 0, direct.stderr
    assert requests == []
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert set(LOCKED) | {"demo"} <= set(installed(root))


def test_a_tampered_hash_is_refused_online_and_from_the_cache(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORRAL_SEED", "0")
    one_install.test_a_tampered_hash_is_refused_though_the_file_is_in_uvs_cache(
        tmp_path, cached_index, corral, monkeypatch
    )


def test_a_file_on_another_host_goes_through_the_index_pages(
    tmp_path: Path,
    cached_index: LocalIndex,
    requests: list[str],
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An untrusted lock cannot send uv to a host of its choosing: `localhost` is not the index's `127.0.0.1`."""
    root, log = unseeded(tmp_path, cached_index, monkeypatch)
    lock_file = root / "pylock.toml"
    host = cached_index.url.removeprefix("http://")
    other = "localhost:" + host.rsplit(":", 1)[1]
    lock_file.write_text(
        lock_file.read_text(encoding="utf-8").replace(f'url = "http://{host}/files/', f'url = "http://{other}/files/'),
        encoding="utf-8",
    )
    requests.clear()

    done = fresh_sync(root, corral, log, "--frozen")

    assert done.exit_code == 0, done.stderr
    assert {f"/simple/{name}/" for name in LOCKED} <= set(pages(requests)), requests
    assert set(LOCKED) | {"demo"} <= set(installed(root))
    assert not any(direct_url_records(root)[name] for name in LOCKED)


def test_an_sdist_is_fetched_directly_and_built_as_an_index_package(
    tmp_path: Path,
    cached_index: LocalIndex,
    requests: list[str],
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORRAL_SEED", "0")
    pyenv_python("3.12")
    root = write_project(tmp_path / "proj", package=True, deps=["sdistonly"])
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    write_lock(root, cached_index, [Entry("sdistonly-1.0.tar.gz")], dict(os.environ))
    requests.clear()

    done = corral("sync", "--frozen", cwd=root)

    assert done.exit_code == 0, done.stderr
    assert "/simple/sdistonly/" not in pages(requests), requests
    assert "/files/sdistonly-1.0.tar.gz" in requests
    assert {"sdistonly", "demo"} <= set(installed(root))
    assert not direct_url_records(root)["sdistonly"]
    assert "sdistonly==1.0" in uv_freeze(root)
