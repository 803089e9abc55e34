"""The replay of a seeded rebuild stands aside when the full path would choose another pip entry.

A seeded env's pip goes into uv's input as an entry chosen under a key of uv's cached page of pip
(`engines.uv_seed_key`). The replay (`cli.rebuild_replay`) reuses the recorded uv input, pip entry included: when uv
has since fetched a changed page of pip (a new pip, a yank), the full path learns the entry again, so the replay must
not replay the old one. Real CLI, real uv, the local index (its pages cacheable), a private uv cache; what a process
did is read from the checkpoint log.
"""

# The fixtures come from the support plugin and the modules imported; parameters shadow nothing here.
from __future__ import annotations

import os
import subprocess
import time
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock
from test_headstart_replay import cli, rebuild, replayed
from test_seed_entry import cacheable_index, records  # noqa: F401 - a fixture
from test_sync_one_install import W, installed, make_project

from conftest import pyenv_python
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from pathlib import Path

    from support.index import LocalIndex

pytestmark = pytest.mark.integration


def refetch_pip_page(tmp_path: Path) -> None:
    """Another uv command fetches pip's page again from the index (as a user's `uv pip install pip` would)."""
    scratch = tmp_path / "scratch"
    subprocess.run(["rm", "-rf", str(scratch)], check=True)
    for cmd in (
        ["venv", str(scratch), "--python", str(pyenv_python("3.12")), "--quiet"],
        ["pip", "install", "--python", str(scratch / "bin" / "python"), "--refresh-package", "pip", "pip", "--quiet"],
    ):
        done = subprocess.run([uv_binary(), *cmd], capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr


def test_a_changed_page_of_pip_stops_the_replay_of_the_old_entry(
    tmp_path: Path,
    cacheable_index: LocalIndex,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a seeded project whose rebuild is replayed (pip 26.3 as an entry of uv's input)
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CORRAL_SEED", raising=False)
    root = make_project(tmp_path, cacheable_index)
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    cli(root, "sync")
    time.sleep(2.1)  # the record is never written while an input is younger than two seconds
    seen, _ = rebuild(root, log)
    assert not replayed(seen), "the full path writes the replay"
    seen, _ = rebuild(root, log)
    assert replayed(seen), seen
    assert installed(root).get("pip") == "26.3"
    learned = records()
    # when: pip's page changes in the index (24.0 withdrawn) and uv fetches it again
    monkeypatch.delitem(cacheable_index.files, "pip-24.0-py3-none-any.whl")
    refetch_pip_page(tmp_path)
    # then: the replay stands aside (the key of uv's page of pip moved); the full path learns the entry again
    seen, _ = rebuild(root, log)
    assert not replayed(seen), "the old entry was replayed"
    assert "headstart:replay-declined-why:seed" in seen, seen
    assert installed(root).get("pip") == "26.3"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert len(records()) == len(learned) + 1, "learned again, under the new key"
    # and the next rebuild replays the entry chosen under the new key
    seen, _ = rebuild(root, log)
    assert replayed(seen), seen
    assert installed(root).get("pip") == "26.3"


def test_a_lock_that_holds_pip_itself_is_replayed_without_the_seed(
    tmp_path: Path,
    cacheable_index: LocalIndex,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pip locked as a package of the project (packaging's dev group does): an entry of uv's input, no seed's."""
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORRAL_SEED", "0")
    root = make_project(tmp_path, cacheable_index)
    entries = [
        Entry(f"alpha-1.1-{W}"),
        Entry(f"beta-1.0-{W}"),
        Entry(f"delta-1.2-{W}", marker="'dev' in dependency_groups"),
        Entry("pip-26.3-py3-none-any.whl", marker="'dev' in dependency_groups"),
    ]
    write_lock(root, cacheable_index, entries, dict(os.environ), groups=["dev"], default_groups=["dev"])
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    cli(root, "sync")
    time.sleep(2.1)
    seen, _ = rebuild(root, log)
    assert not replayed(seen)
    seen, _ = rebuild(root, log)
    assert replayed(seen), seen
    assert installed(root).get("pip") == "26.3", "the lock's own pip"
