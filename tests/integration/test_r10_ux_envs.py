"""`corral envs list` with no size measured yet: the footer counts the envs and shows no size.

Found by a real-user tryout: such a listing ended "2 envs, 0 B on disk in the 0 measured (...)".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from corral.infra.locks import file_lock
from corral.infra.paths import CorralPaths
from corral.inventory import size_fill

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("count", [1, 2])
def test_a_listing_with_no_size_measured_shows_no_size_in_its_footer(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    area = tmp_path / "area"
    for n in range(count):
        subprocess.run([str(pyenv_python("3.12")), "-m", "venv", "--without-pip", str(area / f"env{n}")], check=True)
    assert corral("envs", "scan", str(area), cwd=tmp_path).exit_code == 0
    monkeypatch.setenv("CORRAL_SIZE_BUDGET", "0")
    with file_lock(CorralPaths.from_environment().cache / size_fill.LOCK_NAME):  # no background measurement
        listed = corral("envs", "list", cwd=tmp_path)
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[-1] == ("1 env" if count == 1 else "2 envs")
    assert f"sizes of {count} env{'s' if count > 1 else ''} not measured yet" in listed.stderr
