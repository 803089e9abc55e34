"""A rebuild keeps the groups the env was synced with, for the commands that come after it (round 13).

`corral recreate` (and `doctor --fix`, which rebuilds for `drift-files`) installed the groups the old env was synced
with, but the new env had no stamp: doctor then compared it with the lock's defaults and called the group's packages
drift ("installed but not in the lock", fix `corral sync`, which would remove them), and `corral run` synced it
back to the defaults. Real uv, a real env, the local index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=dict(os.environ),
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: Any) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["alpha"]\n\n'
        '[dependency-groups]\ndocs = ["cowsay-lite"]\n\n[tool.corral]\nseed = false\n',
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
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
