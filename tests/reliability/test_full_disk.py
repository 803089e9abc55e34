"""A full disk, for real: the project and its env on a small tmpfs, filled up (root and mount(8) needed; skipped
otherwise). Every command ends with one line naming what ran out (the file system, the file being written) and
the fix, a non-zero exit, and nothing changed: `add` leaves pyproject.toml, pylock.toml and the env's package set
as they were (no half-copied `bulky.libs/` behind), `sync`/`recreate` blame the disk, not the package index.
"""

from __future__ import annotations

import os
import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import pyenv_python
from support.full_disk import fill, tmpfs
from support.index import serve_index
from support.projects import demo_pyproject
from support.wheelhouse import WHEELHOUSE
from support.wheels import record_row, zip_bytes

pytestmark = pytest.mark.integration

PYPROJECT = demo_pyproject("alpha")
Corral = Callable[..., Any]  # the in-process CLI runner (conftest)
MB = 1 << 20
PAGE = 4096


def _bulky_wheel(dest: Path) -> None:
    """`bulky` 1.0: like numpy, a package beside a `bulky.libs/` folder of 6 MB that does not compress."""
    dist_info = "bulky-1.0.dist-info"
    noise = random.Random(7)  # noqa: S311 - incompressible filler, not a secret
    files = [("bulky/__init__.py", b'__version__ = "1.0"\n')]
    files += [(f"bulky.libs/libbulky{i}.so", noise.randbytes(MB)) for i in range(6)]
    files += [
        (f"{dist_info}/METADATA", b"Metadata-Version: 2.1\nName: bulky\nVersion: 1.0\n\n"),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    rows = [record_row(name, data) for name, data in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(rows) + "\n").encode()))
    (dest / "bulky-1.0-py3-none-any.whl").write_bytes(zip_bytes(files, compression=zipfile.ZIP_STORED))


@pytest.fixture(scope="module")
def index_url(built_packages: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test catalogue, the seed wheelhouse and `bulky`."""
    extra = tmp_path_factory.mktemp("bulky")
    _bulky_wheel(extra)
    dirs = [next(iter(built_packages.values()))[0].parent, extra] + ([WHEELHOUSE] if WHEELHOUSE.is_dir() else [])
    with serve_index(*dirs) as index:
        yield index.simple_url


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, index_url: str) -> None:
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    monkeypatch.setenv("PIP_INDEX_URL", index_url)


def _project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    return root


def _packages(env: Path) -> set[str]:
    """Every name in the env's site-packages and bin folders."""
    site = next((env / "lib").glob("python*/site-packages"))
    return {f"site/{p.name}" for p in site.iterdir()} | {f"bin/{p.name}" for p in (env / "bin").iterdir()}


def _one_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    assert "internal error" not in stderr
    return errors[0]


def test_add_on_a_full_disk_changes_nothing(corral: Corral, tmp_path: Path, indexed: None) -> None:
    # given: a synced project whose disk has 2 MB left, and a package of 6 MB
    with tmpfs(tmp_path / "disk", "30m") as disk:
        root = _project(disk / "proj")
        assert corral("sync", cwd=root).exit_code == 0
        files = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
        before = _packages(root / ".venv")
        fill(disk, leave=2 * MB)
        # when
        done = corral("add", "bulky", cwd=root)
        # then
        error = _one_error(done.stderr)
        assert done.exit_code == 1, done.stderr
        assert "no space left on device" in error
        assert f"mounted at {disk}" in error
        assert {name: (root / name).read_bytes() for name in files} == files
        assert _packages(root / ".venv") == before  # no half-copied bulky.libs left behind
        (disk / ".filler").unlink()
        assert corral("doctor", cwd=root).exit_code == 0


def test_add_whose_record_finds_the_disk_full_uninstalls_again(corral: Corral, tmp_path: Path, indexed: None) -> None:
    # given: the env on a roomy disk, the project on a full one with one page left (the candidate lock's)
    with tmpfs(tmp_path / "disk", "1m") as disk:
        root = _project(disk / "proj")
        with tmpfs(root / ".venv", "30m"):
            os.chmod(root / ".venv", 0o755)  # noqa: S103 - a tmpfs root is world-writable (1777): corral would not trust that env
            assert corral("sync", cwd=root).exit_code == 0
            files = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
            before = _packages(root / ".venv")
            fill(disk, leave=PAGE)
            # when: delta installs, then pyproject.toml and pylock.toml cannot be written
            done = corral("add", "delta", cwd=root)
            # then: nothing recorded, so nothing installed
            error = _one_error(done.stderr)
            assert done.exit_code == 1, done.stderr
            assert "No space left on device" in error
            assert str(root) in error
            assert {name: (root / name).read_bytes() for name in files} == files
            assert _packages(root / ".venv") == before
            assert not [p for p in root.iterdir() if ".corral-" in p.name]


def test_sync_on_a_full_disk_blames_the_disk_not_the_index(
    corral: Corral, tmp_path: Path, indexed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a new env to seed with pip (about 10 MB) on a 4 MB disk
    monkeypatch.setenv("CORRAL_SEED", "true")
    with tmpfs(tmp_path / "disk", "4m") as disk:
        root = _project(disk / "proj")
        (root / "pylock.toml").write_bytes(b"")
        assert corral("lock", cwd=root).exit_code == 0
        # when
        done = corral("sync", cwd=root)
        # then
        error = _one_error(done.stderr)
        assert done.exit_code == 1, done.stderr
        assert "no space left on device" in error
        assert "index" not in error
        assert f"mounted at {disk}" in error
        assert not (root / ".venv").exists()


def test_recreate_on_a_full_disk_keeps_the_old_env(
    corral: Corral, tmp_path: Path, indexed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tmpfs(tmp_path / "disk", "30m") as disk:
        root = _project(disk / "proj")
        assert corral("sync", cwd=root).exit_code == 0
        before = _packages(root / ".venv")
        fill(disk, leave=MB)
        monkeypatch.setenv("CORRAL_SEED", "true")  # the new env needs pip: more than the disk has left
        done = corral("recreate", "--yes", cwd=root)
        error = _one_error(done.stderr)
        assert done.exit_code == 1, done.stderr
        assert "no space left on device" in error
        assert "index" not in error
        assert _packages(root / ".venv") == before
        assert sorted(p.name for p in root.iterdir()) == [".python-version", ".venv", "pylock.toml", "pyproject.toml"]
