"""A rebuild keeps the groups the env was synced with, for the commands that come after it (round 13).

`corral recreate` (and `doctor --fix`, which rebuilds for `drift-files`) installed the groups the old env was synced
with, but the new env had no stamp: doctor then compared it with the lock's defaults and called the group's packages
drift ("installed but not in the lock", fix `corral sync`, which would remove them), and `corral run` synced it
back to the defaults. Real uv, a real env, the local index.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.envs import corral_cli
from support.indexed import indexed_project

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return corral_cli(*args, cwd=root)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: Any) -> Path:
    """Synced with `--all-groups`: alpha, and its `docs` group's cowsay-lite."""
    root = indexed_project(tmp_path, monkeypatch, local_index)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace("dependencies = []", 'dependencies = ["alpha"]')
    pyproject.write_text(text + '\n[dependency-groups]\ndocs = ["cowsay-lite"]\n', encoding="utf-8")
    done = cli(root, "sync", "--all-groups")
    assert done.returncode == 0, done.stderr
    return root


def _site(root: Path) -> Path:
    return next((root / ".venv" / "lib").glob("python3.*/site-packages"))


def test_doctor_fix_rebuilds_with_the_groups_and_doctor_is_then_healthy(project: Path) -> None:
    (_site(project) / "alpha.py").unlink()
    found = json.loads(cli(project, "doctor", "--json").stdout)["data"]["findings"]
    assert [f["code"] for f in found if f["severity"] != "info"] == ["drift-files"], found
    fixed = cli(project, "doctor", "--fix", "--yes")
    assert "fixed [drift-files]" in fixed.stdout + fixed.stderr, fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    after = cli(project, "doctor")
    assert after.returncode == 0, after.stdout
    assert (_site(project) / "alpha.py").is_file()
    assert list(_site(project).glob("cowsay_lite-*.dist-info")), "the group's package is still there"
    ran = cli(project, "run", "python", "-c", "import cowsay_lite")
    assert ran.returncode == 0, ran.stderr
    assert list(_site(project).glob("cowsay_lite-*.dist-info")), "run kept the groups the env was synced with"


def test_recreate_keeps_the_selection(project: Path) -> None:
    done = cli(project, "recreate", "--yes")
    assert done.returncode == 0, done.stderr
    assert cli(project, "doctor").returncode == 0
    assert list(_site(project).glob("cowsay_lite-*.dist-info"))
