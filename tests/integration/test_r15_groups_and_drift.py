"""Groups beyond the defaults: `corral doctor`'s wording for them, `corral export --all-groups/--all-extras`.

`corral doctor` said "installed but not in the lock" of a package the lock holds for a group the env was not synced
with; `corral export` had no `--all-groups`/`--all-extras` (sync has them, and uv export). Real uv and a real env
against the local test index.
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


@pytest.fixture
def grouped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex, corral: Corral) -> Path:
    """A synced project: alpha, a `docs` group (delta, not a default group) and an extra `fast` (beta)."""
    root = indexed_project(tmp_path, monkeypatch, local_index)
    text = (
        (root / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace("dependencies = []", 'dependencies = ["alpha"]\noptional-dependencies = { fast = ["beta"] }')
    )
    (root / "pyproject.toml").write_text(text + '\n[dependency-groups]\ndocs = ["delta"]\n', encoding="utf-8")
    assert corral("sync", cwd=root).exit_code == 0
    return root


def test_export_takes_every_group_and_extra_when_asked(grouped: Path, corral: Corral) -> None:
    plain = corral("export", cwd=grouped).stdout
    assert "delta" not in plain and "beta" not in plain
    everything = corral("export", "--all-groups", "--all-extras", cwd=grouped)
    assert everything.exit_code == 0, everything.stderr
    assert "groups: docs" in everything.stdout and "extras: fast" in everything.stdout
    assert "delta==" in everything.stdout and "beta==" in everything.stdout


def test_drift_extra_says_which_packages_the_lock_holds_for_other_groups(
    grouped: Path, local_index: LocalIndex, corral: Corral
) -> None:
    root = grouped
    python = str(root / ".venv" / "bin" / "python")
    cmd = [uv_binary(), "pip", "install", "-q", "--python", python, "--index-url", local_index.simple_url]
    subprocess.run([*cmd, "delta==1.2", "cowsay-lite==1.0"], check=True, capture_output=True)
    doctor = corral("doctor", "-v", cwd=root)
    said = doctor.stdout + doctor.stderr
    assert "installed but not in the lock: cowsay-lite 1.0" in said, said
    assert "not in the groups and extras the env was synced with (the lock has them for others): delta 1.2" in said
