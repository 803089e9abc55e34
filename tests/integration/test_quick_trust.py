"""A no-op `sync`, `run` and `lock` stay quick when corral makes or allows another env (trust.json rewritten).

The quick records keep this env's own trust entries (`cli.quick.trust_entry`), not trust.json's stat alone: an
env made anywhere else rewrites the file, not this env's verdict. A real project is synced with the real CLI, its
records written by the full no-op paths; then another env is allowed and the next commands must still answer
from the records (`python -X importtime` shows what a process imported); revoking this env must not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import pyenv_python
from corral.infra.paths import CorralPaths
from corral.services.trust import allow_env, revoke_env

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # cli.quick's longest settle margin, and a little more


def corral(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -X importtime -m corral ARGS` in `root`: stderr also lists every module the process imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def from_record(done: subprocess.CompletedProcess[str]) -> bool:
    """Answered from a quick record: neither argparse (the full path) nor the lock stamp's service was imported."""
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "corral.cli.quick" in modules, done.stderr[-2000:]
    return not modules & {"argparse", "corral.services.lock_stamp"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with no dependencies, synced and locked; every quick record written and answering."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    pyenv_python("3.12")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'
        "[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    assert corral(root, "sync").returncode == 0
    time.sleep(_SETTLE)
    corral(root, "sync")  # quick already when the sync could write the record itself (its lock had settled)
    assert from_record(corral(root, "sync"))
    corral(root, "lock")  # quick already: the sync that locked ran the lock's no-op check; else the full path writes it
    assert from_record(corral(root, "lock"))
    return root


def test_another_env_allowed_keeps_every_no_op_quick_and_this_envs_revoke_does_not(
    project: Path, tmp_path: Path
) -> None:
    # given: another env, allowed (trust.json rewritten, this env's entry as it was)
    other = tmp_path / "other"
    (other / "bin").mkdir(parents=True)
    (other / "pyvenv.cfg").write_text("home = /x\n", encoding="utf-8")
    paths = CorralPaths.from_environment()
    store = paths.data / "trust.json"
    before = store.stat()
    allow_env(paths, other)
    assert store.stat().st_ino != before.st_ino or store.stat().st_mtime_ns != before.st_mtime_ns
    # when / then
    for args in (("sync",), ("run", "true"), ("lock",), ("sync",)):
        assert from_record(corral(project, *args)), args
    # this env's own entry removed: every one goes the full way
    assert revoke_env(paths, project / ".venv")
    for args in (("lock",), ("run", "true")):
        done = corral(project, *args)
        assert not from_record(done), args
    assert os.path.exists(project / ".venv" / "pyvenv.cfg")
