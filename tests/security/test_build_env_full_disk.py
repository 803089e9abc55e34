"""The detached bytecode compile of a cached build env (services.foreign.build_env.compile_env) on a filling disk.

Real interpreters, real uv (`uv venv`, no index needed: no build requirements). A file system that fills up while
the .pyc files are put in place is made here by RLIMIT_FSIZE in the compile's own process (a write past the limit
fails with EFBIG where a full disk fails with ENOSPC: same place, same OSError). What must hold: a put that fails
leaves none of its bytecode behind. Else the half-written .pyc files stay in corral's cache (a full disk stays
full), and the env, no longer the tree its record holds, is removed and made again by every later lock, whose
detached compile fills the disk again (found by hand with a 7 MB tmpfs as the cache: every `corral lock` of a
dynamic-version project remade setuptools' env and left the cache at 100%).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import corral
from conftest import pyenv_python
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from corral.infra.proc import Completed

pytestmark = [pytest.mark.integration, pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE, EFBIG")]

_LIMIT = 600  # bytes: the module's .pyc below is bigger, so its write fails part-way

_COMPILE_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, ({0}, {0}))
from corral.services.foreign.build_env import compile_env
compile_env(sys.argv[1], sys.argv[2])
"""


def _settled(cache: Path, record: Path) -> None:
    """Wait until the env's detached compile (started by `build_env`) has ended: compiled, or given up."""
    from corral.infra.locks import file_lock
    from corral.services.foreign.build_env import _holds

    deadline = time.monotonic() + 120
    while True:
        locks = cache / "build-env-locks"
        with (
            file_lock(locks / f"{record.parent.name}.compile.lock", timeout=120),
            file_lock(locks / f"{record.parent.name}.lock", timeout=120),
        ):
            if _holds(record, record.parent / "env") is not False:
                return
        assert time.monotonic() < deadline, "the detached compile did not finish"
        time.sleep(0.1)


def test_a_put_that_fails_part_way_leaves_no_bytecode_behind(tmp_path: Path) -> None:
    from corral.infra import proc
    from corral.services.foreign.build_env import _holds, _observed, build_env

    def run(cmd: list[str], stdin: str | None = None) -> Completed:
        return proc.run(cmd, stdin=stdin)

    cache = tmp_path / "cache"
    python = str(pyenv_python("3.12"))
    with build_env(cache, uv=uv_binary(), python=python, pins="", indexes=[], run=run):
        pass
    (record,) = (cache / "build-envs").glob("*/record.json")
    env, key = record.parent / "env", record.parent.name
    _settled(cache, record)  # the detached compile build_env started: done
    (site,) = env.glob("lib/python3.12/site-packages")
    # given: an env recorded with a module (a .pyc of a few KB) and no bytecode yet, as a new env is
    module = site / "installed.py"
    module.write_text("".join(f"VALUE_{i} = {i!r} * {i}\n" for i in range(200)), encoding="utf-8")
    for pyc in env.rglob("*.pyc"):
        pyc.unlink()
    record.write_text(json.dumps(_observed(env, compiled=False)), encoding="utf-8")
    assert _holds(record, env) is False
    # when: the detached compile runs while the disk fills up (no write past _LIMIT bytes), this corral's code
    where = str(Path(corral.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", _COMPILE_LIMITED.format(_LIMIT), str(cache), key],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": where},
    )
    assert done.returncode == 0, done.stderr  # compile_env gives up quietly: the next use compiles
    assert not record.exists() or json.loads(record.read_text(encoding="utf-8"))["compiled"] is False  # not put
    # then: nothing of its bytecode is left in the env (or no env is left at all)
    left = sorted(str(p.relative_to(env)) for p in env.rglob("*.pyc")) if env.exists() else []
    assert not left, f"half-written bytecode left: {left}"
