"""The rebuild replay (`cli.rebuild_replay`) holds where nothing the full path decides from has changed.

Each test runs the real CLI on a package project locked against the local index (the `recorded` fixture of
test_headstart_replay: the record and its replay written by a full rebuild), and reads what the process did from
its checkpoint log (`headstart:*`).
"""

# The fixtures come from the support plugin, test_sync_one_install and test_headstart_replay.
from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from test_headstart_replay import _release, cli, paused_at, rebuild, recorded, replayed  # noqa: F401 - a fixture
from test_sync_one_install import cached_index, installed  # noqa: F401 - a fixture

from corral.core.env import Env
from corral.infra.paths import CorralPaths
from corral.infra.uvbin import uv_binary
from corral.inventory.pending import FOLDER
from corral.inventory.store import Store

pytestmark = pytest.mark.integration


def test_a_new_hard_link_to_uvs_binary_keeps_the_replay(recorded: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    """uv installed by uv is a hard link to the file in uv's cache, shared by every env that installed that uv.

    Each env made or removed with it moves the binary's ctime (a link count is metadata), so a replay that compared
    the ctime stood aside for any other env's install on the machine: a benchmark's every timed rebuild went the
    full way (`headstart:replay-declined-why:tools`).
    """
    root, log = recorded
    uv = os.path.realpath(uv_binary())
    before = os.stat(uv).st_ctime_ns
    try:
        os.link(uv, tmp_path / "uv-elsewhere")  # another env's install of the same uv
    except OSError:  # another file system than the tests' folder: a mode set again moves the ctime alike
        os.chmod(uv, os.stat(uv).st_mode)
    assert os.stat(uv).st_ctime_ns != before, "the binary's ctime moved"
    seen, done = rebuild(root, log)
    assert replayed(seen), seen
    assert "synced" in done.stderr
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))


def test_a_declined_replay_says_why(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    """The fault log names what differed (`bench_projects.py --fates` prints it)."""
    root, log = recorded
    seen, _ = rebuild(root, log, SOME_TOOL_SETTING="1")  # the whole environment differs
    assert not replayed(seen), seen
    assert "headstart:replay-declined" in seen
    assert "headstart:replay-declined-why:environ" in seen


def test_a_ctrl_c_once_the_records_are_written_says_what_is_left(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    """The env is kept with corral's records and no stamp: not "nothing was left half done", but what is left.

    In a terminal the Ctrl-C reaches uv too, and the env lacks packages until the next sync installs them.
    """
    root, log = recorded
    child = paused_at(root, log, "headstart:replay-recorded")  # it stops at its next line, once uv has exited
    child.send_signal(signal.SIGINT)
    _, err = _release(log, child)
    assert child.returncode == 130, err
    assert "nothing was left half done" not in err
    assert f"interrupted; {root / '.venv'} was made but may lack packages of the lock" in err
    assert "run the command again to finish" in err
    assert "Traceback" not in err
    assert (root / ".venv" / "corral-env.json").is_file(), "the env is kept"
    assert not (root / ".venv" / "corral-sync.json").exists(), "and has no stamp"
    site = Env.at(root / ".venv").site_packages()[0]
    for path in site.glob("alpha*"):  # the package and its dist-info: what a uv cut short leaves out
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert "alpha" not in installed(root)
    log.unlink()
    done = cli(root, "sync")
    assert "synced" in done.stderr, "the next sync installs it"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync").stderr


def test_the_replays_inventory_row_is_what_every_reader_sees(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    """Noted as a file while uv installs (no sqlite3 on that path), folded in by the inventory's next connection."""
    root, log = recorded
    seen, _ = rebuild(root, log)
    assert replayed(seen), seen
    paths = CorralPaths.from_environment()
    assert any((paths.data / FOLDER).iterdir()), "noted, not yet written into the database"
    env = root / ".venv"
    with Store.open(paths) as store:
        record = store.get(str(env))
    assert record is not None
    assert record.extra["identity"] == [env.stat().st_dev, env.stat().st_ino], "the new folder's"
    assert (record.kind, record.creator, record.project) == ("project", "native", str(root))
    assert not any((paths.data / FOLDER).iterdir()), "folded in"
    listed = cli(root, "envs", "list", "--json").stdout
    assert str(env) in listed
