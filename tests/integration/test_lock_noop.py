"""`corral lock` with nothing changed answers from its stamp (no resolution); every input that changes resolves again.

Whether uv resolved is read from infra.faults' checkpoint log (CORRAL_FAULT_LOG lists every external program run
through infra.proc), with real uv against the local index.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest

from conftest import Corral, pyenv_python
from support.projects import demo_pyproject
from support.toml import tomllib

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

PYPROJECT = demo_pyproject("alpha>=1.0", requires_python=">=3.11") + '\n[dependency-groups]\ndev = ["delta<1.2"]\n'


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> str:
    url: str = local_index.simple_url  # type: ignore[attr-defined]
    monkeypatch.setenv("UV_INDEX_URL", url)
    return url


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, indexed: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    first = corral("lock", cwd=root)
    assert first.exit_code == 0, first.stderr
    return root


def lock_resolves(
    corral: Corral, root: Path, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[bool, dict[str, Any]]:
    """Run `corral lock --json`; (whether uv was asked to resolve, the report)."""
    log = root.parent / "faults.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = corral("lock", "--json", *args, cwd=root)
    monkeypatch.delenv("CORRAL_FAULT_LOG")
    assert result.exit_code == 0, result.stderr
    ran = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return "engine:uv lock" in ran, json.loads(result.stdout)["data"]


def alpha(root: Path) -> str:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return str(next(p["version"] for p in data["packages"] if p["name"] == "alpha"))


def test_an_unchanged_lock_is_not_resolved_again(locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (locked / "pylock.toml").read_bytes()
    resolved, report = lock_resolves(corral, locked, monkeypatch)
    assert not resolved
    assert report["written"] is False and report["added"] == [] and report["packages"] == 2
    assert (locked / "pylock.toml").read_bytes() == before
    check = corral("lock", "--check", cwd=locked)
    assert check.exit_code == 0 and "up to date (2 packages)" in check.stderr
    plain = corral("lock", cwd=locked)
    assert plain.exit_code == 0 and "unchanged:" in plain.stderr


def test_upgrade_and_upgrade_package_always_resolve(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lock_resolves(corral, locked, monkeypatch, "--upgrade")[0]
    assert lock_resolves(corral, locked, monkeypatch, "--upgrade-package", "alpha")[0]
    assert not lock_resolves(corral, locked, monkeypatch)[0]  # and the result is the new stamp


@pytest.mark.parametrize("change", ["dependency", "requires-python", "tool-uv", "index", "python-pin"])
def test_every_input_change_resolves_again(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, indexed: str, change: str
) -> None:
    pyproject = locked / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if change == "dependency":
        pyproject.write_text(text.replace('"alpha>=1.0"', '"alpha>=1.0", "beta"'), encoding="utf-8")
    elif change == "requires-python":
        pyproject.write_text(text.replace(">=3.11", ">=3.12"), encoding="utf-8")
    elif change == "tool-uv":
        pyproject.write_text(text + '\n[tool.uv]\nconstraint-dependencies = ["alpha<2"]\n', encoding="utf-8")
    elif change == "index":
        monkeypatch.setenv("CORRAL_INDEX_URL", indexed)  # the same index, named by a setting now
    else:
        (locked / ".python-version").write_text(str(pyenv_python("3.11")) + "\n", encoding="utf-8")
    resolved, _ = lock_resolves(corral, locked, monkeypatch)
    assert resolved, f"a changed {change} must resolve again"
    data = tomllib.loads((locked / "pylock.toml").read_text(encoding="utf-8"))
    if change == "dependency":
        assert "beta" in {p["name"] for p in data["packages"]}
    elif change == "requires-python":
        assert data["requires-python"] == ">=3.12"
    elif change == "tool-uv":
        assert alpha(locked) == "1.1"
    assert not lock_resolves(corral, locked, monkeypatch)[0], "then it is unchanged again"


@pytest.mark.parametrize("damage", ["hand-edited", "truncated", "deleted"])
def test_a_hand_edited_or_damaged_lock_is_locked_again(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    lock = locked / "pylock.toml"
    good = lock.read_bytes()
    if damage == "hand-edited":
        at = good.index(b'sha256 = "') + len(b'sha256 = "')  # one hash made wrong: installs would refuse it
        lock.write_bytes(good[:at] + (b"0" if good[at : at + 1] != b"0" else b"1") + good[at + 1 :])
    elif damage == "truncated":
        lock.write_bytes(good[: len(good) // 2])
    else:
        lock.unlink()
    resolved, report = lock_resolves(corral, locked, monkeypatch)
    assert resolved and report["written"] is True
    assert lock.read_bytes() == good


def test_with_the_project_env_an_unchanged_lock_is_not_resolved_again(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = corral("sync", cwd=locked)  # the env corral made: its python is the one a lock resolves with now
    assert synced.exit_code == 0, synced.stderr
    assert not lock_resolves(corral, locked, monkeypatch)[0], "the env's python is the stamp's interpreter"
    assert not lock_resolves(corral, locked, monkeypatch)[0]
    cfg = locked / ".venv" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # the env is not the one vouched for
    assert lock_resolves(corral, locked, monkeypatch)[0]


def test_the_env_rebuilt_the_same_keeps_the_lock_unchanged(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    assert corral("sync", cwd=locked).exit_code == 0
    assert not lock_resolves(corral, locked, monkeypatch)[0], "the env's python is the stamp's interpreter"
    shutil.rmtree(locked / ".venv")  # `rm -rf .venv && corral sync`: the same interpreter, a new pyvenv.cfg file
    synced = corral("sync", cwd=locked)
    assert synced.exit_code == 0, synced.stderr
    assert not lock_resolves(corral, locked, monkeypatch)[0], "the same env again: nothing to resolve"


def test_after_add_and_remove_the_lock_is_unchanged(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert corral("sync", cwd=locked).exit_code == 0
    for command in (("add", "beta"), ("remove", "beta")):
        changed = corral(*command, cwd=locked)
        assert changed.exit_code == 0, changed.stderr
        before = (locked / "pylock.toml").read_bytes()
        resolved, report = lock_resolves(corral, locked, monkeypatch)
        assert not resolved, f"`corral {command[0]}` locked already: nothing to resolve"
        assert report["written"] is False and (locked / "pylock.toml").read_bytes() == before


def test_an_env_whose_python_is_another_interpreter_than_the_stamps_resolves(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert corral("sync", cwd=locked).exit_code == 0
    assert not lock_resolves(corral, locked, monkeypatch)[0]
    link = locked / ".venv" / "bin" / "python"
    target = os.readlink(link)
    link.unlink()
    link.symlink_to(pyenv_python("3.11"))  # the env's python now another program than the one the lock used
    try:
        assert lock_resolves(corral, locked, monkeypatch)[0]
    finally:
        link.unlink()
        link.symlink_to(target)
