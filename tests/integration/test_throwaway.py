from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, missing

pytestmark = pytest.mark.integration


@pytest.fixture
def index_env(local_index: object, pythons: dict[str, Path]) -> dict[str, str]:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    env = dict(os.environ)
    env["UV_INDEX_URL"] = local_index.simple_url  # type: ignore[attr-defined]
    env["CORRAL_PYTHON"] = "3.12"
    return env


def test_x_runs_a_tool_from_its_own_cached_env(index_env: dict[str, str], tmp_path: Path) -> None:
    first = subprocess.run([*corral_exe(), "x", "cowsay-lite", "hello", "there"], env=index_env, cwd=tmp_path,
                           capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "moo hello there"
    assert "built the env" in first.stderr
    second = subprocess.run([*corral_exe(), "x", "cowsay-lite", "again"], env=index_env, cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    assert second.stdout.strip() == "moo again"
    assert "built the env" not in second.stderr
    envs = list((Path(index_env["CORRAL_HOME"]) / "cache" / "envs").glob("tool-*"))
    assert len([e for e in envs if e.is_dir()]) == 1


def test_x_from_package_and_missing_command(index_env: dict[str, str], tmp_path: Path) -> None:
    ok = subprocess.run([*corral_exe(), "x", "--from", "cowsay-lite", "cowsay-lite", "x"], env=index_env,
                        cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run([*corral_exe(), "x", "--from", "alpha", "alpha-cli"], env=index_env, cwd=tmp_path,
                           capture_output=True, text=True, check=False)
    assert wrong.returncode == 2
    assert "no command named 'alpha-cli'" in wrong.stderr
    unknown = subprocess.run([*corral_exe(), "x", "no-such-tool-anywhere"], env=index_env, cwd=tmp_path,
                             capture_output=True, text=True, check=False)
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr
    assert "no-such-tool-anywhere" in unknown.stderr
