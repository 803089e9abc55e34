"""The rebuild replay imports neither pathlib, re, enum nor json: its writes run while uv installs, on uv's cores.

On a small project uv's install takes ~40 ms; importing pathlib and json (re, enum, functools, urllib.parse,
ipaddress) costs 15-25 ms of CPU on a loaded machine, which the replay then took from uv. The real CLI under
`python -X importtime`, on the package project of tests/integration/test_headstart_replay.py.
"""

# The fixtures come from the support plugin and test_headstart_replay; parameters shadow nothing here.
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from test_headstart import events
from test_headstart_replay import environ, recorded, replayed  # noqa: F401 - a fixture
from test_sync_one_install import cached_index  # noqa: F401 - a fixture

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

_HEAVY = ("pathlib", "re", "enum", "json", "functools", "urllib.parse", "sqlite3", "typing")


def test_the_replay_imports_none_of_the_heavy_modules(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    root, log = recorded
    shutil.rmtree(root / ".venv")
    log.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=environ(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert replayed(events(log)), events(log)
    names = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    imported = set(
        names[names.index("corral.cli.quick") + 1 :]
    )  # after the entry module: the head start's, the replay's
    assert not imported & set(_HEAVY), sorted(imported & set(_HEAVY))
    assert (root / ".venv" / "corral-sync.json").is_file()
    assert os.listdir(root / ".venv" / "bin")
