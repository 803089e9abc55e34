"""`--system-site-packages` envs: recorded, exact sync spares the base's packages, info/doctor say so.

The base is pyenv's 3.11 (its own site-packages holds six and xmltodict, among others): an env that sees them
must never have them uninstalled by an exact sync (they are not in the env's own site-packages).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from support.toml import tomllib

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

BASE_ONLY = ("six", "xmltodict")


def _base_site(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


@pytest.fixture
def base() -> Path:
    """pyenv's 3.11 with six and xmltodict in its own site-packages (skip when they are not there)."""
    python = pyenv_python("3.11")
    site = _base_site(python)
    lacking = [n for n in BASE_ONLY if not list(site.glob(f"{n}-*.dist-info"))]
    if lacking:
        pytest.skip(f"{python} has no {', '.join(lacking)} in {site}")
    return python


@pytest.fixture
def ssp_project(
    project: Path, base: Path, corral: Corral, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A project whose env sees pyenv 3.11's site-packages, depending on alpha from the local index."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace('requires-python = ">=3.8"', 'requires-python = ">=3.11"')
    (project / "pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["alpha"]'), encoding="utf-8"
    )
    (project / ".python-version").write_text(f"{base}\n", encoding="utf-8")  # so recreate rebuilds on this base
    done = corral("venv", "--python", str(base), "--system-site-packages", cwd=project)
    assert done.exit_code == 0, done.stderr
    return project


def _sees(env: Path, *modules: str) -> dict[str, str]:
    names = list(modules)
    code = f"import json, importlib; print(json.dumps({{m: importlib.import_module(m).__file__ for m in {names!r}}}))"
    out = subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    seen: dict[str, str] = json.loads(out.stdout)
    return seen


def test_venv_records_the_choice_in_tool_corral(ssp_project: Path) -> None:
    data = tomllib.loads((ssp_project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"]["corral"]["system-site-packages"] is True
    cfg = (ssp_project / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = true" in cfg


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_exact_sync_removes_strays_but_never_the_base_packages(
    ssp_project: Path, base: Path, corral: Corral, engine: str
) -> None:
    env = ssp_project / ".venv"
    base_site = _base_site(base)
    before = sorted(p.name for p in base_site.iterdir())
    done = corral("sync", "--engine", engine, cwd=ssp_project)
    assert done.exit_code == 0, done.stderr
    # a stray in the env's own site-packages: exact sync must remove it, and only it
    from corral.infra.uvbin import uv_binary

    subprocess.run(
        [uv_binary(), "pip", "install", "--python", str(env / "bin" / "python"), "delta"],
        check=True,
        capture_output=True,
    )
    done = corral("sync", "--engine", engine, "--json", cwd=ssp_project)
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)["data"]
    removed = {item["name"] if isinstance(item, dict) else item[0] for item in report["removed"]}
    assert removed == {"delta"}, report
    seen = _sees(env, "alpha", *BASE_ONLY)
    assert seen["alpha"].startswith(str(env))
    for name in BASE_ONLY:
        assert seen[name].startswith(str(base_site)), seen
    assert sorted(p.name for p in base_site.iterdir()) == before


def test_info_and_doctor_show_the_visible_system_site_packages(ssp_project: Path, corral: Corral) -> None:
    assert corral("sync", cwd=ssp_project).exit_code == 0
    info = corral("info", cwd=ssp_project)
    assert "system site-packages  visible" in info.stdout
    assert json.loads(corral("info", "--json", cwd=ssp_project).stdout)["data"]["system_site_packages"] is True
    doctor = json.loads(corral("doctor", "--json", cwd=ssp_project).stdout)["data"]
    findings = {f["code"]: f for f in doctor["findings"]}
    assert findings["system-site-packages-recorded"]["severity"] == "info"
    assert "system-site-packages" not in findings  # the warning/rebuild code is for an env that was not asked
    assert not [c for c in findings if c.startswith("drift-")], findings


def test_recreate_and_upgrade_keep_the_recorded_choice(ssp_project: Path, corral: Corral) -> None:
    env = ssp_project / ".venv"
    assert corral("sync", cwd=ssp_project).exit_code == 0
    done = corral("recreate", "--yes", cwd=ssp_project)
    assert done.exit_code == 0, done.stderr
    assert "include-system-site-packages = true" in (env / "pyvenv.cfg").read_text(encoding="utf-8")
    assert set(_sees(env, "alpha", *BASE_ONLY)) == {"alpha", *BASE_ONLY}
    done = corral("upgrade", "--python", str(pyenv_python("3.12")), cwd=ssp_project)
    assert done.exit_code == 0, done.stderr
    assert "include-system-site-packages = true" in (env / "pyvenv.cfg").read_text(encoding="utf-8")
    data = tomllib.loads((ssp_project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"]["corral"]["system-site-packages"] is True
