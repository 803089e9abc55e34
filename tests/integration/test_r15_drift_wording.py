"""`corral doctor` tells a package the lock lacks from one the lock holds for a group the env was not synced with.

Both were "installed but not in the lock", which was false for the second (the lock has it, for another group).
Real uv and a real env against the local test index.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corral.infra.uvbin import uv_binary
from support.indexed import indexed_project

if TYPE_CHECKING:
    from conftest import Corral
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


def test_drift_extra_says_which_packages_the_lock_holds_for_other_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex, corral: Corral
) -> None:
    root = indexed_project(tmp_path, monkeypatch, local_index)
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["alpha"]') + '\n[dependency-groups]\ndocs = ["delta"]\n',
        encoding="utf-8",
    )
    assert corral("sync", cwd=root).exit_code == 0  # docs is not a default group
    python = str(root / ".venv" / "bin" / "python")
    cmd = [uv_binary(), "pip", "install", "-q", "--python", python, "--index-url", local_index.simple_url]
    subprocess.run([*cmd, "delta==1.2", "beta==1.0"], check=True, capture_output=True)
    doctor = corral("doctor", "-v", cwd=root)
    said = doctor.stdout + doctor.stderr
    assert "installed but not in the lock: beta 1.0" in said, said
    assert "not in the groups and extras the env was synced with (the lock has them for others): delta 1.2" in said
