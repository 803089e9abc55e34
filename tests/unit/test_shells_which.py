"""`corral which`: real envs, PATH arranged the ways users get wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from corral.services.context import Context
from corral.services.which import WhichReport, which

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose `.venv` is a plain `python -m venv` with pip (corral did not make it)."""
    root = tmp_path_factory.mktemp("which") / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "w"\nversion = "0"\n', encoding="utf-8")
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", str(root / ".venv")], check=True, capture_output=True)
    return root


def _report(root: Path, path: str, **extra: str) -> WhichReport:
    environ = {"PATH": path, **extra}
    return which(Context(cwd=root, environ=environ), environ=environ, activate_hint="FIX")


def test_an_activated_foreign_env_is_all_good_and_read_from_disk(seeded: Path) -> None:
    env = seeded / ".venv"
    report = _report(seeded, f"{env}/bin:/usr/bin", VIRTUAL_ENV=str(env))
    assert report.ok, report.problems
    assert report.python.env == str(env)
    assert report.python.version is not None
    assert report.python.version.startswith("3.12")
    assert report.python.realpath != report.python.path  # the venv's python is a link to the base interpreter
    assert report.pip.env == str(env)
    assert report.pip.version  # from pip's dist-info, without running pip


def test_an_inactive_project_env_gets_the_activation_fix(seeded: Path) -> None:
    base = pyenv_python("3.11").parent
    report = _report(seeded, f"{base}:/usr/bin")
    assert not report.ok
    assert any("not this project's env" in p.message and p.fix == "FIX" for p in report.problems)


def test_a_stray_pip_earlier_on_path_is_flagged(seeded: Path, tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.mkdir()
    pip = stray / "pip"
    pip.write_text("#!/usr/bin/python3\nimport sys\n", encoding="utf-8")
    pip.chmod(0o755)
    env = seeded / ".venv"
    report = _report(seeded, f"{env}/bin:{stray}", VIRTUAL_ENV=str(env))
    report_path_first = _report(seeded, f"{stray}:{env}/bin", VIRTUAL_ENV=str(env))
    assert report.ok
    assert any(
        "installs for /usr/bin/python3" in p.message and "python -m pip" in p.fix for p in report_path_first.problems
    )


def test_which_cli_json_and_check_exit_code(corral: Corral, seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = corral("which", "--json", "--check", "--shell", "fish", cwd=seeded)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["command"] == "which"
    assert data["data"]["ok"] is False
    assert data["data"]["project_env"] == str(seeded / ".venv")
    assert any("corral activate | source" in m for m in data["messages"])


def test_which_is_a_check_exiting_1_when_the_live_env_is_not_the_projects(
    corral: Corral, seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    wrong = corral("which", cwd=seeded)
    assert wrong.exit_code == 1, wrong.stdout + wrong.stderr
    assert "not this project's env" in wrong.stderr
    env = seeded / ".venv"
    monkeypatch.setenv("PATH", f"{env}/bin:/usr/bin:/bin")
    monkeypatch.setenv("VIRTUAL_ENV", str(env))
    right = corral("which", cwd=seeded)
    assert right.exit_code == 0, right.stdout + right.stderr
