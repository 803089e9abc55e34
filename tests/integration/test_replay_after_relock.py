"""Inputs written again with the same bytes (a relock that changed nothing) keep the replay and the quick no-op.

`corral add X` then `corral remove X` gives pylock.toml and pyproject.toml back to the byte, in new files: another
inode, other times. The rebuild record (`cli.headstart`) and the quick record (`cli.quick`) hold their stats, so
the next `rm -rf .venv && corral sync` and the next no-op took the full path. The rebuild record now also keeps
their SHA-256 (`digest` lines): a stat that differs with the very bytes recorded, settled, is the same input; other
bytes (even of the same size) never are. The quick no-op compares the lock with the stamp's SHA-256, as the stamp's
own check does (`cli.quick_relock`). Real uv against the local index, as tests/integration/test_headstart_replay.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_headstart_replay import cli, environ, rebuild, recorded, replayed  # noqa: F401 - a fixture
from test_sync_one_install import cached_index, installed  # noqa: F401 - a fixture

from corral.cli.quick import corral_dirs, record_path
from corral.infra.fingerprint import fingerprint

pytestmark = pytest.mark.integration

_SETTLED = 0.3  # past cli.quick.settle_margin (50 ms on a file system with nanosecond times)


def _written_again(path: Path, data: bytes | None = None) -> None:
    """`path` replaced by a new file (as corral's atomic writes do) holding `data` (default: its own bytes)."""
    new = path.with_name(f".{path.name}.test.tmp")
    new.write_bytes(path.read_bytes() if data is None else data)
    os.replace(new, path)


def _quick(root: Path) -> subprocess.CompletedProcess[str]:
    """`corral sync` under `-X importtime` (stderr lists every module imported)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=environ(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _was_quick(done: subprocess.CompletedProcess[str]) -> bool:
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "corral.cli.quick" in modules
    return "argparse" not in modules  # the full path always imports it


def test_inputs_written_again_with_the_same_bytes_are_replayed(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    root, log = recorded
    seen, before = rebuild(root, log)
    assert replayed(seen), seen
    for name in ("pyproject.toml", "pylock.toml"):
        _written_again(root / name)
    time.sleep(_SETTLED)
    seen, done = rebuild(root, log)
    assert replayed(seen), seen
    assert (done.stdout, done.stderr) == (before.stdout, before.stderr)
    stamp = json.loads((root / ".venv" / "corral-sync.json").read_text(encoding="utf-8"))
    assert stamp["lock"]["stat"] == fingerprint(root / "pylock.toml"), "the stamp holds the lock's new stat"
    assert stamp["pyproject"]["stat"] == fingerprint(root / "pyproject.toml")
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync").stderr
    again, _ = rebuild(root, log)
    assert replayed(again), again


@pytest.mark.parametrize("name", ["pylock.toml", "pyproject.toml"])
def test_other_bytes_of_the_same_size_get_no_head_start(recorded: tuple[Path, Path], name: str) -> None:  # noqa: F811
    """A changed input never replays, whatever its size: the bytes are compared, not the stat."""
    root, log = recorded
    data = (root / name).read_bytes()
    assert data.endswith(b"\n")
    _written_again(root / name, data[:-1] + b" ")  # the last newline a space: TOML still, another file
    time.sleep(_SETTLED)
    seen, done = rebuild(root, log)
    assert "headstart:layout" not in seen, seen
    assert not replayed(seen)
    assert done.returncode == 0


def test_the_no_op_after_the_lock_was_written_again_is_quick(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    root, _ = recorded
    assert _was_quick(_quick(root)), "the full rebuild recorded the next no-op"
    lock = root / "pylock.toml"
    _written_again(lock)
    time.sleep(_SETTLED)
    done = _quick(root)
    assert _was_quick(done), "the stamp's SHA-256 of the lock holds"
    assert "nothing to do" in done.stderr
    dirs = corral_dirs(os.environ)
    assert dirs is not None
    record = Path(record_path(dirs[1], str(root))).read_text(encoding="utf-8")
    assert f" {lock.stat().st_ino} " in next(line for line in record.split("\n") if line.startswith("lock ")), (
        "the record was written again with the lock's new stat"
    )
    assert _was_quick(_quick(root))
    _written_again(lock, lock.read_bytes() + b"# edited\n")
    assert not _was_quick(_quick(root)), "other bytes: the full path"
