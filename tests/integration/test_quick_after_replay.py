"""The no-op right after a head start's replayed rebuild (`rm -rf .venv && corral sync`) is answered quickly.

`cli.rebuild_replay` finishes a recorded rebuild without the full path, so `cli.sync_cmd.record_noop` (which a full
sync runs after its report) never ran: the first no-op after a replay took the full way. The replay has to call
`cli.sync_cmd.record_plain_noop` after its report (it does since ae1ac48).
Real uv against the local index, as tests/integration/test_headstart.py replays.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_headstart_replay import environ, rebuild, recorded, replayed  # noqa: F401 - a fixture
from test_sync_one_install import cached_index  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration


def test_the_no_op_right_after_a_replayed_rebuild_is_quick(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    root, log = recorded
    seen, _ = rebuild(root, log)
    assert replayed(seen), seen  # the replay finished the rebuild, not the full path
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
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "argparse" not in modules, "answered from the quick record the replay wrote"
