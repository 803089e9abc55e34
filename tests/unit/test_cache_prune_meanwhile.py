"""`corral cache prune` and a corral command that begins while it runs: uv's inputs stay while that command runs.

A sync takes its env lock, finds its uv input already in the cache (same digest, same bytes: kept as it is) and
hands the path to uv. A prune that looked at the locks only once, before its first removal, went on removing uv
inputs after that sync began: the one the sync had just checked went before its uv opened it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import Corral

_OLD = time.time() - 7200  # past the hour an unreplayed uv input is given

# Waits for the first uv input to go, then holds an env lock (as `corral sync` does) until told to stop.
_HOLDER = """
import os, sys, time
from pathlib import Path
from corral.infra.locks import file_lock
gone, lock, held, stop = (Path(a) for a in sys.argv[1:5])
while gone.exists():
    time.sleep(0.0005)
with file_lock(lock):
    held.touch()
    while not stop.exists():
        time.sleep(0.01)
"""


def uv_input(cache: Path, digest: str) -> Path:
    folder = cache / "uv-input" / digest
    folder.mkdir(parents=True)
    (folder / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
    for path in (folder / "pylock.toml", folder):
        os.utime(path, (_OLD, _OLD))
    return folder


@contextlib.contextmanager
def a_command_begins_after_the_first(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """Stale uv inputs, the first and last far apart (each removal takes a while), and a process that takes an env
    lock as soon as the first is gone; (first, last, the file it touches once it holds the lock)."""
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    first = uv_input(cache, "0" * 32)
    for number in range(1, 600):
        uv_input(cache, f"{number:032x}")
    last = uv_input(cache, "f" * 32)
    lock = cache / "env-locks" / ("e" * 24 + ".corral-sync.lock")
    lock.parent.mkdir()
    held, stop = tmp_path / "held", tmp_path / "stop"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(first), str(lock), str(held), str(stop)])
    try:
        yield first, last, held
    finally:
        stop.touch()
        holder.wait(timeout=30)


def test_a_command_that_begins_during_the_prune_keeps_the_uv_inputs_after(corral: Corral, tmp_path: Path) -> None:
    with a_command_begins_after_the_first(tmp_path) as (first, last, held):
        # when
        done = corral("cache", "prune", "--json")
        # then: the command began before the last was looked at: the last stays
        assert held.exists(), "the lock holder was too slow for the test to mean anything"
        assert done.exit_code == 0, done.stderr
        data = json.loads(done.stdout)["data"]
        removed = {entry["path"] for entry in data["removed"]}
        assert str(first) in removed
        assert last.is_dir()
        assert str(last) not in removed
        assert any("began meanwhile" in note for note in data["kept"])
    # and once it is done, the next prune removes it
    after = json.loads(corral("cache", "prune", "--json").stdout)["data"]
    assert str(last) in {entry["path"] for entry in after["removed"]}


def test_clean_keeps_the_uv_inputs_once_a_command_began(corral: Corral, tmp_path: Path) -> None:
    # given: as above, for `corral cache clean` (which removes uv inputs of any age)
    with a_command_begins_after_the_first(tmp_path) as (first, last, held):
        # when
        done = corral("cache", "clean", "--json")
        # then
        assert held.exists(), "the lock holder was too slow for the test to mean anything"
        assert done.exit_code == 0, done.stderr
        data = json.loads(done.stdout)["data"]
        assert str(first) in {entry["path"] for entry in data["removed"]}
        assert last.is_dir()
        assert any("began meanwhile" in note for note in data["kept"])
