"""What a rebuild with a head start writes again after it (`services.create`): nothing the head start already wrote.

The head start writes and syncs the `creating` journal, and lays out pyvenv.cfg as it stands once the sync marks
a deferred seed (`seed = true`); the full path then neither rewrites the journal nor pyvenv.cfg (each an atomic
write with its fsync while uv runs). Read from infra.faults' checkpoint log (`write:NAME:*` lines), as
test_headstart does; the ordinary rebuild that wrote the record is the comparison.
"""

# The fixtures come from the support plugin and test_headstart; parameters shadow nothing here.
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_headstart import rebuild, recorded, snapshot, took_head_start  # noqa: F401 - a fixture
from test_sync_one_install import cached_index  # noqa: F401 - a fixture

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def writes(seen: list[str], name: str) -> list[str]:
    return [event for event in seen if event.startswith("write:") and name in event]


def test_a_head_start_rebuild_writes_its_journal_and_pyvenv_cfg_once(recorded: tuple[Path, Path]) -> None:  # noqa: F811
    root, log = recorded
    ordinary = snapshot(root / ".venv")
    # given: the ordinary rebuild wrote both through the full path
    cfg = (root / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "seed = true" in cfg, "a seeded env whose pip the sync installs says so to uv"
    # when
    seen = rebuild(root, log)
    # then
    assert took_head_start(seen), seen
    assert "headstart:layout-adopted" in seen
    assert writes(seen, ".creating.json") == [], "the head start's journal is not written again"
    assert writes(seen, "pyvenv.cfg") == [], "pyvenv.cfg was laid out with its seed line"
    assert snapshot(root / ".venv") == ordinary, "the same env as the ordinary rebuild's"
    assert not any((root.parent / "home" / "data" / "journals").iterdir()), "the journal is gone at the end"


def test_an_ordinary_rebuild_still_writes_the_journal(
    recorded: tuple[Path, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, log = recorded
    monkeypatch.setenv("CORRAL_FAULT", "none-such-point")  # a crash-test run never takes a head start
    seen = rebuild(root, log)
    assert not took_head_start(seen), seen
    assert writes(seen, ".creating.json"), "the full path writes the journal itself"
    assert writes(seen, "pyvenv.cfg"), "the creator's pyvenv.cfg, then its seed line"
