"""The first sync of a new env right after `corral lock`: no lock-side check, no probe of the env's new python.

`services.sync.apply.remember_fresh_lock` notes, for the lock side, that the lock it just wrote is fresh for the
pyproject's very bytes: the next `corral sync` then finds the memo and never imports the resolver side (packaging's
markers and specifiers) to compare the same inputs-hash. An edit made after the lock read the pyproject is never
remembered as fresh. A sync that makes the env takes the facts of the interpreter it made it from instead of
starting the env's python to probe it (a path no probe has seen: a new project, a fresh cache), and chooses,
installs and stamps the same. Real uv against the local index, real interpreters, `corral sync` in a subprocess
(`-X importtime` tells what it imported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.services.context import Context
from corral.services.inspection import installed_distributions
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_SEED", "0")  # the seed's check after the install imports doctor's modules
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    return root


def sync(root: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`corral sync` in a new process: its result and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


def remember(root: Path, pyproject: Path | None = None, lock: Path | None = None) -> bool:
    from corral.services.sync.apply import remember_fresh_lock

    return remember_fresh_lock(Context(cwd=root), pyproject or root / "pyproject.toml", lock or root / "pylock.toml")


def memos(root: Path) -> list[Path]:
    return sorted((Context(cwd=root).paths.cache / "fresh-locks").glob("*"))


def installed(root: Path) -> dict[str, str]:
    return installed_distributions([next((root / ".venv" / "lib").glob("python3.*")) / "site-packages"])


def test_a_sync_right_after_a_lock_never_imports_the_lock_side(locked: Path) -> None:
    for memo in memos(locked):  # whatever the lock step itself remembered: this test asks remember_fresh_lock
        memo.unlink()
    assert remember(locked)
    assert len(memos(locked)) == 1
    done, modules = sync(locked)
    assert done.returncode == 0, done.stderr[-3000:]
    assert {"corral.services.create", "corral.services.sync.apply"} <= modules, "the detector sees the path"
    assert "corral.services.lock" not in modules
    assert installed(locked) == {"alpha": "2.0"}


def test_an_edit_after_the_lock_is_not_remembered_as_fresh(locked: Path) -> None:
    pyproject = locked / "pyproject.toml"
    pyproject.write_text(demo_pyproject("alpha>=1.0", "beta", requires_python=">=3.11"), encoding="utf-8")
    before = memos(locked)
    assert not remember(locked, pyproject)
    assert memos(locked) == before
    done, modules = sync(locked)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pyproject.toml changed since it was written" in done.stderr
    assert "corral.services.lock" in modules  # asked, and it locked again
    assert set(installed(locked)) == {"alpha", "beta"}


def test_a_lock_without_an_inputs_hash_is_never_remembered(locked: Path) -> None:
    lock = locked / "pylock.toml"
    lock.write_text(lock.read_text(encoding="utf-8").replace("inputs-hash", "inputs-hush"), encoding="utf-8")
    before = memos(locked)
    assert not remember(locked, lock=lock)
    assert memos(locked) == before


def test_the_first_sync_of_a_new_env_starts_no_probe_of_its_python(locked: Path) -> None:
    done, _ = sync(locked)
    assert done.returncode == 0, done.stderr[-3000:]
    assert installed(locked) == {"alpha": "2.0"}
    cache = Context(cwd=locked).paths.cache / "interpreters.json"
    probed = json.loads(cache.read_text(encoding="utf-8"))["entries"]
    assert str(locked / ".venv" / "bin" / "python") not in probed
    assert str(pyenv_python("3.12")) in probed  # the interpreter it was made from: probed once, for the lock
    again, _ = sync(locked)  # and the env it made is one the next sync finds in order
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing to do" in again.stderr


def test_corral_lock_itself_remembers_the_lock_it_wrote(locked: Path) -> None:
    """`corral lock` then `corral sync`: the sync never imports the lock side."""
    assert len(memos(locked)) == 1
    done, modules = sync(locked)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "corral.services.lock" not in modules
    assert installed(locked) == {"alpha": "2.0"}
