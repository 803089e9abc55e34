"""A seeded project env whose sync was cut off before the seed went in (the env is made unseeded and the sync
installs pip with the lock): doctor names `corral sync` as the fix, not ensurepip, and both that advice and
`doctor --fix` repair it."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.reliability import corral_cmd, subprocess_environ
from support.wheelhouse import require_wheelhouse

pytestmark = pytest.mark.integration

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = ["alpha"]\n'


def _corral(*args: str, cwd: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(corral_cmd(*args), cwd=cwd, env=environ, capture_output=True, text=True, check=False)


def _pip_findings(root: Path, environ: dict[str, str]) -> list[dict[str, str]]:
    done = _corral("doctor", "--json", cwd=root, environ=environ)
    return [f for f in json.loads(done.stdout)["data"]["findings"] if f["code"] == "pip-missing"]


@pytest.mark.parametrize("repair", [["sync"], ["doctor", "--fix", "--yes"]])
def test_doctor_advises_sync_after_a_seeded_sync_was_cut_off(
    tmp_path: Path, local_index: object, repair: list[str]
) -> None:
    require_wheelhouse("pip-*.whl")
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    environ = subprocess_environ(url, UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    # given: a seeded sync killed as it starts installing (the env exists, its seed and the lock's packages do not)
    killed = _corral("sync", cwd=root, environ=environ | {"CORRAL_FAULT": "engine:uv pip install"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (root / ".venv" / "pyvenv.cfg").is_file()
    # when / then: doctor's advice for the missing pip is the sync, which installs the seed as corral does
    [finding] = _pip_findings(root, environ)
    assert finding["fix"] == "corral sync"
    assert "ensurepip" not in json.dumps(finding)
    # and following it (or doctor --fix) leaves a healthy env with pip
    fixed = _corral(*repair, cwd=root, environ=environ)
    assert fixed.returncode == 0, fixed.stderr
    assert _pip_findings(root, environ) == []
    healthy = json.loads(_corral("doctor", "--json", cwd=root, environ=environ).stdout)["data"]
    assert healthy["ok"] is True, healthy["findings"]


def test_a_venv_outside_a_project_keeps_the_ensurepip_advice(tmp_path: Path) -> None:
    environ = subprocess_environ()
    env = tmp_path / "loose"
    made = _corral("venv", "--no-seed", "--python", str(pyenv_python("3.12")), str(env), cwd=tmp_path, environ=environ)
    assert made.returncode == 0, made.stderr
    done = _corral("doctor", "--json", str(env), cwd=tmp_path, environ=environ)
    [finding] = [f for f in json.loads(done.stdout)["data"]["findings"] if f["code"] == "pip-missing"]
    assert finding["fix"].endswith("-m ensurepip --upgrade")
    assert finding["severity"] == "info"  # made without seed: nothing is wrong
