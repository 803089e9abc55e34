"""The rebuild after a set's first install takes its head start (engines.uv notes the offline command for it).

A set of files corral never installed here goes to the index at once (`services.sync.apply._served_marker`); the
next sync of that set tries uv's cache first. The rebuild record the first sync writes must hold that next, offline
command: it held the online one, so the second `rm -rf .venv && corral sync` of every new project waited for a head
start that ran the wrong command, removed its env and ran uv again. Real CLI in a subprocess, checkpoint log, as in
test_headstart.
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_headstart import _SETTLE, rebuild, record_of, took_head_start
from test_sync_one_install import cached_index, installed, make_project, programs

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration
__all__ = ["cached_index"]  # the fixture, used by name


def test_the_rebuild_after_a_first_online_install_adopts_its_head_start(
    tmp_path: Path, cached_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a new project whose inputs settled before its first sync (which then writes the rebuild record)
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    time.sleep(_SETTLE)
    first = rebuild(root, log)
    assert not took_head_start(first)
    assert programs(log).count("uv pip install") == 1, "straight to the index: nothing of the set in uv's cache"
    assert record_of(root).is_file()
    # when: the env is deleted and synced again
    seen = rebuild(root, log)
    # then: the head start ran the very command the full path runs (offline, from uv's cache)
    assert took_head_start(seen), seen
    assert "headstart:adopted" in seen, seen
    assert "headstart:mismatch" not in seen, seen
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
