"""The inventory tells the truth after a rebuild: every rebuild path records the final env, once, at its version.

Driven as a user does: `corral upgrade --python`, `doctor --fix` on a moved project, `corral run` in a moved one,
a patch upgrade in place, a hand rebuild then `corral envs scan`, each followed by `corral envs list --json`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import corral_exe, pyenv_python
from support.envs import FakeInstall, lock_and_sync, make_project, pyenv_build

pytestmark = pytest.mark.integration


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> object:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    return local_index


def corral(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*corral_exe(), *args], cwd=root, capture_output=True, text=True, check=False, timeout=300, env=dict(os.environ)
    )


def listed(cwd: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """`corral envs list --json`: {path: record}, and what it said on stderr."""
    done = corral(cwd, "envs", "list", "--json", "--wait")
    assert done.returncode == 0, done.stderr
    return {e["path"]: e for e in json.loads(done.stdout)["data"]["envs"]}, done.stderr


def only_env_under(root: Path, envs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The one record for an env inside `root` (a temporary build or a second record is a failure)."""
    inside = {path: entry for path, entry in envs.items() if path.startswith(str(root) + os.sep)}
    assert list(inside) == [str(root / ".venv")], list(inside)
    return inside[str(root / ".venv")]


def test_upgrade_to_another_minor_is_listed_at_its_new_version_once(tmp_path: Path, indexed: object) -> None:
    pyenv_python("3.13")
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python="3.12")
    lock_and_sync(root)
    assert only_env_under(root, listed(tmp_path)[0])["version"].startswith("3.12.")
    done = corral(root, "upgrade", "--python", "3.13")
    assert done.returncode == 0, done.stdout + done.stderr
    envs, said = listed(tmp_path)
    entry = only_env_under(root, envs)
    assert entry["version"].startswith("3.13."), entry
    assert (entry["kind"], entry["project"], entry["health"]) == ("project", str(root), "ok")
    assert "corral-new" not in said and "forgot" not in said, said
    # a scan agrees and changes nothing
    assert corral(tmp_path, "envs", "scan", str(tmp_path), "--json").returncode == 0
    assert only_env_under(root, listed(tmp_path)[0])["version"].startswith("3.13.")


def test_doctor_fix_of_a_moved_project_lists_the_rebuilt_env(tmp_path: Path, indexed: object) -> None:
    root = make_project(tmp_path / "proj", ["cowsay-lite"])
    lock_and_sync(root)
    moved = tmp_path / "moved"
    shutil.move(root, moved)
    fixed = corral(moved, "doctor", "--fix", "--yes")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    envs, said = listed(tmp_path)
    entry = only_env_under(moved, envs)
    assert (entry["kind"], entry["project"], entry["health"]) == ("project", str(moved), "ok")
    assert "corral-new" not in said, said
    assert str(root / ".venv") not in envs


def test_a_run_that_rebuilds_a_moved_project_lists_the_new_env_once(tmp_path: Path, indexed: object) -> None:
    root = make_project(tmp_path / "proj", ["cowsay-lite"])
    lock_and_sync(root)
    moved = tmp_path / "moved"
    shutil.move(root, moved)
    ran = corral(moved, "run", "cowsay-lite")
    assert ran.returncode == 0, ran.stderr
    envs, said = listed(tmp_path)
    assert only_env_under(moved, envs)["health"] == "ok"
    assert "corral-new" not in said, said


def test_a_patch_upgrade_in_place_updates_the_listed_version(
    tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    debian, target = Path("/usr/bin/python3.11"), pyenv_build("3.11.7")
    if not debian.exists() or target is None:
        pytest.skip("needs Debian's python3.11 and pyenv 3.11.7")
    fake = FakeInstall(tmp_path / "opt-python")
    fake.install(debian, Path("/usr/lib/python3.11"))
    fake.on_path(monkeypatch)
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python=str(fake.python))
    lock_and_sync(root)
    assert only_env_under(root, listed(tmp_path)[0])["version"] == fake.version
    done = corral(root, "upgrade", "--python", str(target[0]))
    assert done.returncode == 0 and "in place" in done.stdout, done.stdout + done.stderr
    entry = only_env_under(root, listed(tmp_path)[0])
    assert (entry["version"], entry["interpreter"]) == ("3.11.7", str(target[0])), entry


def test_a_scan_updates_the_version_of_a_known_env_rebuilt_by_hand(tmp_path: Path) -> None:
    py312, py313 = pyenv_python("3.12"), pyenv_python("3.13")
    env = tmp_path / "envs" / "tool"
    made = corral(tmp_path, "venv", "--python", str(py312), "--no-seed", str(env))
    assert made.returncode == 0, made.stderr
    assert listed(tmp_path)[0][str(env)]["version"].startswith("3.12.")
    # rebuilt by hand with another Python, outside corral
    subprocess.run([str(py313), "-m", "venv", "--clear", "--without-pip", str(env)], check=True)
    scanned = corral(tmp_path, "envs", "scan", str(tmp_path / "envs"), "--json")
    assert scanned.returncode == 0, scanned.stderr
    assert listed(tmp_path)[0][str(env)]["version"].startswith("3.13."), sys.version
