"""The no-op right after a sync is answered from the quick record, which the sync itself wrote.

Before, the first `corral sync` / `corral run CMD` after a sync took the full path (69-96 ms against uv's 32-41 ms on
real projects): the env's files the sync had just written were younger than the settle margin, and only the next
no-op wrote the record. Now the sync runs the no-op check itself and records it on the stamp's proof
(`cli.quick.remember`'s `stamp_bytes`); the user's files must still have settled, and any edit of them after the
sync is seen by the next command. Real project (Python 3.12, no dependencies), real CLI, real uv; `python -X
importtime` tells whether a process took the quick path (no argparse).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from test_quick_trust import corral  # `python -X importtime -m corral ARGS`

from conftest import pyenv_python

pytestmark = pytest.mark.integration


def was_quick(done: subprocess.CompletedProcess[str]) -> bool:
    """The command succeeded, answered before argparse was imported (the full path always imports it)."""
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "corral.cli.quick" in modules, done.stderr[-2000:]
    return "argparse" not in modules


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with no dependencies, locked, its files settled (no env yet)."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    pyenv_python("3.12")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'
        "[dependency-groups]\ndev = []\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    done = corral(root, "lock")
    assert done.returncode == 0, done.stderr[-2000:]
    if os.stat(root / "pylock.toml").st_ctime_ns % 1_000_000 == 0:
        pytest.skip("this file system rounds its stamps: the user's files take 2 s to settle")
    time.sleep(0.2)  # the user's files settle (50 ms): only the env's are young after the sync
    return root


@pytest.mark.parametrize("first", [("sync",), ("run", "true")])
def test_the_no_op_right_after_a_sync_is_quick(locked: Path, first: tuple[str, ...]) -> None:
    made = corral(locked, *first)  # a new env: the full path
    assert not was_quick(made)
    assert was_quick(corral(locked, "sync")), "the sync wrote the record at once"
    assert was_quick(corral(locked, "run", "python", "-c", "pass"))


def test_a_sync_that_changed_the_env_records_it_too(locked: Path) -> None:
    assert corral(locked, "sync").returncode == 0
    assert corral(locked, "sync", "--group", "dev").returncode == 0  # another selection: no record for `sync`
    assert not was_quick(corral(locked, "sync"))  # back to the default selection, an env change: the full path
    assert was_quick(corral(locked, "sync"))


def test_a_user_file_edited_right_after_the_sync_is_seen(locked: Path) -> None:
    assert corral(locked, "sync").returncode == 0
    pyproject = locked / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('version = "0"', 'version = "1"'), encoding="utf-8")  # same size, in place
    assert not was_quick(corral(locked, "sync")), "a change to the pyproject right after the sync"
    lock = locked / "pylock.toml"
    lock.write_bytes(lock.read_bytes())  # the same bytes, a new stat: the stamp's SHA-256 holds (cli.quick_relock)
    assert was_quick(corral(locked, "run", "true"))
    lock.write_bytes(lock.read_bytes() + b"# edited\n")  # other bytes
    assert not was_quick(corral(locked, "run", "true"))


def test_a_file_put_in_the_env_right_after_the_sync_is_seen(locked: Path) -> None:
    assert corral(locked, "sync").returncode == 0
    site = next((locked / ".venv" / "lib").glob("python3.12/site-packages"))
    (site / "stray.pth").write_text("import os\n", encoding="utf-8")
    assert not was_quick(corral(locked, "sync")), "a file in site-packages right after the sync"
    (site / "stray.pth").unlink()
    assert corral(locked, "sync").returncode == 0
    (locked / ".venv" / "bin" / "pip").write_text("#!/bin/sh\n", encoding="utf-8")
    assert not was_quick(corral(locked, "run", "true"))
