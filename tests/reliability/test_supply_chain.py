"""Supply chain: a file whose bytes no longer match the lock's hash is refused by sync (uv, pip); nothing installed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.infra.uvbin import uv_binary
from support.index import LocalIndex, serve_index
from support.wheelhouse import WHEELHOUSE
from support.wheels import Package, build_packages, package_bytes

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

GENUINE = Package("trusty", "1.0")
EVIL = Package("trusty", "1.0", body="\nEVIL = True\n")


@pytest.fixture
def tampering_index(tmp_path: Path) -> Iterator[tuple[LocalIndex, Path]]:
    """A private index serving `trusty` 1.0 (and the seed wheelhouse); the test may swap the file's bytes."""
    if not WHEELHOUSE.is_dir():
        pytest.skip("the seed wheelhouse is missing (python tools/fetch_wheelhouse.py)")
    built = build_packages(tmp_path / "pkgs", (GENUINE,))
    with serve_index(tmp_path / "pkgs", WHEELHOUSE) as index:
        yield index, built["trusty"][0]


def _installed(root: Path) -> dict[str, str]:
    out = subprocess.run(
        [uv_binary(), "pip", "list", "--format", "json", "--python", str(root / ".venv/bin/python")],
        capture_output=True,
        text=True,
        check=True,
    )
    return {p["name"]: p["version"] for p in json.loads(out.stdout)}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.12"\ndependencies = ["trusty"]\n',
        encoding="utf-8",
    )
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return root


def _point_at(monkeypatch: pytest.MonkeyPatch, index: object, cache: Path) -> None:
    monkeypatch.setenv("UV_INDEX_URL", index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("UV_CACHE_DIR", str(cache / "uv"))  # a fresh cache: the genuine file is not kept anywhere
    monkeypatch.setenv("PIP_CACHE_DIR", str(cache / "pip"))


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_sync_refuses_a_file_tampered_after_locking(
    engine: str,
    corral: Corral,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tampering_index: tuple[LocalIndex, Path],
) -> None:
    index, wheel = tampering_index
    root = _project(tmp_path)
    _point_at(monkeypatch, index, tmp_path / "cache-lock")
    assert corral("lock", cwd=root).exit_code == 0
    assert corral("venv", cwd=root).exit_code == 0  # seeded: the pip engine runs the env's own pip
    lock_before = (root / "pylock.toml").read_bytes()
    wheel.write_bytes(package_bytes(EVIL))  # same name, same URL, the index still advertises the old hash
    _point_at(monkeypatch, index, tmp_path / "cache-sync")
    result = corral("sync", "--frozen", "--engine", engine, cwd=root)
    assert result.exit_code != 0, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "trusty" in errors[0], result.stderr
    assert re.search(r"hash", errors[0], re.IGNORECASE), result.stderr
    assert "trusty" not in _installed(root)
    assert (root / "pylock.toml").read_bytes() == lock_before


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_sync_refuses_when_the_lock_hash_was_changed(
    engine: str,
    corral: Corral,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tampering_index: tuple[LocalIndex, Path],
) -> None:
    index, _ = tampering_index
    root = _project(tmp_path)
    _point_at(monkeypatch, index, tmp_path / "cache")
    assert corral("lock", cwd=root).exit_code == 0
    assert corral("venv", cwd=root).exit_code == 0
    lock = root / "pylock.toml"
    text, count = re.subn(r'(sha256 = ")[0-9a-f]{64}(")', r"\g<1>" + "0" * 64 + r"\g<2>", lock.read_text())
    assert count >= 1
    lock.write_text(text)
    result = corral("sync", "--frozen", "--engine", engine, cwd=root)
    assert result.exit_code != 0, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "trusty" in errors[0], result.stderr
    assert "trusty" not in _installed(root)
