"""A sync killed while its uv installs: the uv lives on, and the next sync waits for it before it recovers.

A kill (SIGKILL, SIGTERM) ends corral, not the `uv pip install` it started; with the head start of a rebuild
(`cli.headstart`) uv's output goes to memory files, so nothing stops it before its end. The next command finds
the `creating` journal and removes the half-made env: removed under a uv still writing, the env came back as a
folder holding what uv wrote after (no interpreter, no pyvenv.cfg), which every later sync refused ("not provably
an environment") until the user removed it by hand. uv holds the env's `.lock` while it installs:
`services.create.finish_interrupted_creation` now waits for it first.

The surviving uv is played by a process holding `.lock` as uv does and writing into site-packages before it lets go
(a real uv finishing sooner or later than the sync would make the test a race); the env, the journal and corral
are real.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corral.infra.journals import journal_path, write_journal
from corral.infra.paths import CorralPaths

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_PYPROJECT = '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.9"\ndependencies = ["beta"]\n'
_INSTALLER = """
import fcntl, os, sys, time
env, late = sys.argv[1], sys.argv[2]
fd = os.open(os.path.join(env, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(2.5)
os.makedirs(late, exist_ok=True)  # what uv writes at its end: a package's folder, its parents made again
open(os.path.join(late, "__init__.py"), "w").close()
"""


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )


def test_the_next_sync_waits_for_the_uv_a_kill_left_running(
    tmp_path: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(_PYPROJECT, encoding="utf-8")
    for args in (("lock",), ("sync",)):
        done = cli(root, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    env = root / ".venv"
    (site,) = env.glob("lib/python*/site-packages")
    late = site / "late_package"
    # what a kill during creation leaves: the env without corral's record of it, the journal naming it
    (env / "corral-env.json").unlink()
    cfg = env / "pyvenv.cfg"
    text = cfg.read_bytes()
    cfg.unlink()
    cfg.write_bytes(text)  # written by that creation (a new file): no quick no-op answer
    journal = journal_path(CorralPaths.from_environment(), root, "creating")
    write_journal(journal, root, {"env": str(env), "pid": 2**22 + 1})
    installer = subprocess.Popen(
        [sys.executable, "-c", _INSTALLER, str(env), str(late)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert installer.stdout is not None
        assert installer.stdout.readline() == "locked\n"
        started = time.monotonic()
        done = cli(root, "sync")
        waited = time.monotonic() - started
    finally:
        installer.wait(timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert waited >= 2, "the sync went on while the installer held the env's lock"
    assert not late.exists(), "what the surviving installer wrote is not in the rebuilt env"
    assert (env / "corral-env.json").is_file()
    assert json.loads((env / "corral-env.json").read_text(encoding="utf-8"))
    assert not journal.exists()
    doctor = cli(root, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    again = cli(root, "sync")
    assert again.returncode == 0, again.stderr[-3000:]
    assert os.listdir(env)
