"""A Ctrl-C while the head start writes its `creating` journal leaves no temporary in corral's journals folder.

`cli.headstart.write_creating_journal` writes `.<key>.creating.json.corral-<pid>h.tmp`, fsyncs it, then renames it
over the journal. Python delivers a Ctrl-C as KeyboardInterrupt at the first bytecode after the system call it
arrived in: the fsync (milliseconds on a busy disk) is where random Ctrl-Cs of `rm -rf .venv && corral sync` landed
(5 of ~60 in H5's runs), and each left its temporary behind for good (nothing removes it: it is not a journal);
it is now removed on any exception, as `infra.fs.atomic_write_bytes`, the full path's writer, removes its own. The
interrupt is raised here exactly where Python raises it, right after the fsync returns.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.cli import headstart

pytestmark = pytest.mark.integration


def test_a_ctrl_c_during_the_journal_write_leaves_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data" / "journals"
    journal = folder / "0123abcd.creating.json"
    real_fsync = os.fsync

    def interrupted_after(fd: int) -> None:
        real_fsync(fd)
        raise KeyboardInterrupt  # the Ctrl-C that arrived during the fsync, as Python delivers it

    monkeypatch.setattr(os, "fsync", interrupted_after)
    with pytest.raises(KeyboardInterrupt):
        headstart.write_creating_journal(str(journal), str(tmp_path / "proj"), str(tmp_path / "proj" / ".venv"))
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == []
