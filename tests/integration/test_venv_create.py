from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import missing
from corral.core.provenance import PROVENANCE_FILE

pytestmark = pytest.mark.integration


@pytest.fixture
def offline_index(local_index: object, monkeypatch: pytest.MonkeyPatch) -> object:
    """Seed packages come from the suite's own loopback index, never the internet."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    return local_index


def _python_says(env: Path, code: str) -> str:
    done = subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("creator", ["uv", "venv"])
def test_venv_in_project_makes_a_marked_ignored_seeded_env(
    corral: object, project: Path, pythons: dict[str, Path], offline_index: object, creator: str
) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    sub = project / "src" / "pkg"
    sub.mkdir(parents=True)
    # given a command run from deep inside the project
    result = corral("venv", "--python", "3.12", "--creator", creator, cwd=sub)  # type: ignore[operator]
    # then the env lands in the project root's .venv
    assert result.exit_code == 0, result.stderr
    env = project / ".venv"
    assert _python_says(env, "import sys; print(sys.prefix)") == str(env)
    assert _python_says(env, "import sys; print(sys.version_info[:2])") == "(3, 12)"
    pip = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "-V"], capture_output=True, text=True, check=True)
    assert str(env) in pip.stdout
    assert "*" in (env / ".gitignore").read_text().splitlines()
    record = json.loads((env / PROVENANCE_FILE).read_text())
    assert record["creator"] == creator
    assert record["location"] == str(env)
    assert record["project"] == str(project)
    assert record["python_version"].startswith("3.12.")


def test_git_ignores_the_env_without_user_action(corral: object, project: Path, pythons: dict[str, Path]) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert corral("venv", "--python", "3.12", "--no-seed", cwd=project).exit_code == 0  # type: ignore[operator]
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".venv" not in status


def test_no_seed_means_no_pip(corral: object, tmp_path: Path, pythons: dict[str, Path]) -> None:
    if "3.13" not in pythons:
        missing("pyenv 3.13")
    result = corral("venv", str(tmp_path / "e"), "--python", "3.13", "--no-seed", cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "e" / "bin" / "pip").exists()
    assert _python_says(tmp_path / "e", "import sys; print(sys.prefix)") == str(tmp_path / "e")


def test_system_site_packages_is_applied_and_recorded(corral: object, project: Path, pythons: dict[str, Path]) -> None:
    if "3.11" not in pythons:
        missing("pyenv 3.11")
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + "# keep me\n")
    result = corral("venv", "--python", "3.11", "--system-site-packages", "--no-seed", cwd=project)  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    text = (project / "pyproject.toml").read_text()
    assert "# keep me" in text
    assert "[tool.corral]" in text and "system-site-packages = true" in text
    cfg = (project / ".venv" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg


def test_prompt_is_passed_to_the_env(corral: object, tmp_path: Path, pythons: dict[str, Path]) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    result = corral("venv", "e", "--python", "3.12", "--prompt", "my prompt", "--no-seed", cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    assert "prompt = my prompt" in (tmp_path / "e" / "pyvenv.cfg").read_text()


def test_existing_env_is_never_overwritten(corral: object, tmp_path: Path, pythons: dict[str, Path]) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    assert corral("venv", "e", "--python", "3.12", "--no-seed", cwd=tmp_path).exit_code == 0  # type: ignore[operator]
    marker = tmp_path / "e" / "keep.txt"
    marker.write_text("x")
    again = corral("venv", "e", "--python", "3.12", "--no-seed", cwd=tmp_path)  # type: ignore[operator]
    assert again.exit_code == 1
    assert "already an environment" in again.stderr
    assert marker.read_text() == "x"


def test_non_env_target_is_refused(corral: object, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    result = corral("venv", "data", "--python", "3.12", cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code == 1
    assert "exists and is not an environment" in result.stderr
    assert (target / "notes.txt").read_text() == "precious"


def test_unwritable_target_gives_one_clear_line(corral: object, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = "/proc/corral-cannot-write-here"
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        target = str(ro / "env")
    result = corral("venv", target, "--python", "3.12", "--no-seed", cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_failed_creation_leaves_nothing_behind(corral: object, tmp_path: Path) -> None:
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    result = corral("venv", "e", "--python", str(fake), cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code == 2
    assert "does not run as a Python interpreter" in result.stderr
    assert not (tmp_path / "e").exists()


def test_info_reads_the_env_from_disk(
    corral: object, project: Path, pythons: dict[str, Path], offline_index: object
) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    assert corral("venv", "--python", "3.12", cwd=project).exit_code == 0  # type: ignore[operator]
    result = corral("info", "--json", cwd=project)  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["layout"] == "bin"
    assert data["path"] == str(project / ".venv")
    assert data["version"].startswith("3.12.")
    assert data["python_ok"] and data["base_ok"]
    assert data["made_by_corral"]
    assert data["system_site_packages"] is False
    assert "pip" in data["distributions"]
    assert data["size"] > 1_000_000
    human = corral("info", cwd=project)  # type: ignore[operator]
    assert "layout" in human.stdout and "pip" in human.stdout


def test_info_on_a_foreign_plain_venv(corral: object, tmp_path: Path, pythons: dict[str, Path]) -> None:
    if "3.10" not in pythons:
        missing("pyenv 3.10")
    subprocess.run([str(pythons["3.10"]), "-m", "venv", "--without-pip", str(tmp_path / "plain")], check=True)
    result = corral("info", str(tmp_path / "plain"), "--json")  # type: ignore[operator]
    data = json.loads(result.stdout)["data"]
    assert data["made_by_corral"] is False
    assert data["creator"] == "venv"


def test_info_outside_a_project_says_what_to_do(corral: object, tmp_path: Path) -> None:
    result = corral("info", cwd=tmp_path)  # type: ignore[operator]
    assert result.exit_code == 2
    assert "no pyproject.toml" in result.stderr and "corral init" in result.stderr
    notenv = corral("info", str(tmp_path), cwd=tmp_path)  # type: ignore[operator]
    assert notenv.exit_code == 1
    assert "not a Python environment" in notenv.stderr
