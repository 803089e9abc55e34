"""Legacy zones for real: 2.7 envs through corral's virtualenv 20.21.1 toolchain, 3.6/3.7 through uv, the notice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.toolchain.legacy import VIRTUALENV_VERSION
from corral.toolchain.virtualenv_tool import MARKER_FILE, ensure_virtualenv, toolchain_dir
from support.fixtures import isolated_environ
from support.index import LocalIndex
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

TOOLCHAIN_WHEELS = (f"virtualenv-{VIRTUALENV_VERSION}-*.whl", "platformdirs-3.*.whl", "distlib-*.whl", "filelock-*.whl")
SEED_WHEELS = (
    "pip-21.3.1-*.whl",
    "pip-24.0-*.whl",
    "setuptools-59.6.0-*.whl",
    "setuptools-68.0.0-*.whl",
    "wheel-0.37.1-*.whl",
)
NOTICE_27 = "Python 2.7 reached end of life on 2020-01-01: this env is a legacy zone; port to Python 3"


def _out(cmd: list[str | Path]) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=True, env=isolated_environ())
    return (done.stdout + done.stderr).strip()


@pytest.fixture(scope="session")
def legacy_home(tmp_path_factory: pytest.TempPathFactory, local_index: LocalIndex) -> Path:
    """A CORRAL_HOME whose virtualenv toolchain was installed once, from the local index, on Python 3.13."""
    require_wheelhouse(*TOOLCHAIN_WHEELS, *SEED_WHEELS)
    home = tmp_path_factory.mktemp("legacy-home")
    host = str(pyenv_python("3.13"))
    ensure_virtualenv(home / "data", environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    return home


@pytest.fixture
def shared_home(legacy_home: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Use the shared toolchain; uv seeds 3.6/3.7 envs from the local index."""
    monkeypatch.setenv("CORRAL_HOME", str(legacy_home))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    return legacy_home


@pytest.mark.usefixtures("shared_home")
def test_venv_python_27_makes_a_working_env_with_pip_20_3_4(corral: Corral, tmp_path: Path) -> None:
    pyenv_python("2.7")
    env = tmp_path / "py27"
    result = corral("venv", "--python", "2.7", str(env))
    assert result.exit_code == 0, result.stderr
    assert "using the virtualenv creator" in result.stderr
    assert NOTICE_27 in result.stderr
    assert _out([env / "bin" / "python", "-c", "import sys; print(sys.version)"]).startswith("2.7.")
    assert _out([env / "bin" / "pip", "--version"]).startswith("pip 20.3.4 ")
    cfg = (env / "pyvenv.cfg").read_text(encoding="utf-8")
    assert f"virtualenv = {VIRTUALENV_VERSION}" in cfg
    assert json.loads((env / "corral-env.json").read_text(encoding="utf-8"))["creator"] == "virtualenv"
    assert not (tmp_path / "data").exists()  # the toolchain never lands next to the user's env


@pytest.mark.usefixtures("shared_home")
def test_info_on_a_27_env_says_legacy_and_the_setting_silences_the_notice(
    corral: Corral,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyenv_python("2.7")
    env = tmp_path / "old"
    assert corral("venv", "--python", "2.7", "--no-seed", str(env)).exit_code == 0
    shown = corral("info", str(env))
    assert shown.exit_code == 0, shown.stderr
    assert "yes: Python past end of life" in shown.stdout
    assert shown.stderr.count(NOTICE_27) == 1
    monkeypatch.setenv("CORRAL_LEGACY_NOTICE", "0")
    quiet = corral("info", str(env))
    assert quiet.exit_code == 0
    assert "yes: Python past end of life" in quiet.stdout
    assert "end of life on" not in quiet.stderr


@pytest.mark.usefixtures("shared_home")
def test_27_options_no_seed_system_site_packages_and_prompt(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv_python("2.7")
    monkeypatch.setenv("VIRTUALENV_PROMPT", "from-the-machine")  # the user's virtualenv settings never leak in
    monkeypatch.setenv("VIRTUALENV_SEEDER", "pip")
    env = tmp_path / "opts"
    result = corral("venv", "--python", "2.7", "--no-seed", "--system-site-packages", "--prompt", "zone27", str(env))
    assert result.exit_code == 0, result.stderr
    assert not (env / "bin" / "pip").exists()
    assert "include-system-site-packages = true" in (env / "pyvenv.cfg").read_text(encoding="utf-8")
    activate = (env / "bin" / "activate").read_text(encoding="utf-8")
    assert "zone27" in activate
    assert "from-the-machine" not in activate


@pytest.mark.usefixtures("shared_home")
@pytest.mark.parametrize(("version", "pip"), [("3.6", "21.3.1"), ("3.7", "24.0")])
def test_venv_python_36_37_use_uv_and_print_the_notice(corral: Corral, tmp_path: Path, version: str, pip: str) -> None:
    pyenv_python(version)
    env = tmp_path / f"py{version}"
    result = corral("venv", "--python", version, str(env))
    assert result.exit_code == 0, result.stderr
    assert "using the uv creator" in result.stderr
    assert f"warning: Python {version} reached end of life on " in result.stderr
    assert _out([env / "bin" / "python", "-c", "import sys; print(sys.version)"]).startswith(f"{version}.")
    assert _out([env / "bin" / "python", "-m", "pip", "--version"]).startswith(f"pip {pip} ")


@pytest.mark.usefixtures("shared_home")
def test_creator_virtualenv_serves_37_offline_with_its_embedded_seed(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv_python("3.7")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing may need the index now
    env = tmp_path / "ve37"
    result = corral("venv", "--python", "3.7", "--creator", "virtualenv", str(env))
    assert result.exit_code == 0, result.stderr
    assert "using the virtualenv creator" in result.stderr
    assert "warning: Python 3.7 reached end of life on 2023-06-27" in result.stderr
    assert _out([env / "bin" / "python", "-c", "import sys; print(sys.version)"]).startswith("3.7.")
    assert _out([env / "bin" / "pip", "--version"]).startswith("pip 23.1 ")


def test_toolchain_is_installed_once_then_reused_without_the_index(
    corral: Corral,
    tmp_path: Path,
    local_index: LocalIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyenv_python("2.7")
    require_wheelhouse(*TOOLCHAIN_WHEELS)
    home = tmp_path / "home"
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    started = time.monotonic()
    first = corral("venv", "--python", "2.7", "--no-seed", str(tmp_path / "a"))
    first_s = time.monotonic() - started
    assert first.exit_code == 0, first.stderr
    root = toolchain_dir(home / "data")
    record = (root / MARKER_FILE).read_text(encoding="utf-8")
    inode = root.stat().st_ino
    assert json.loads(record)["installed"]["virtualenv"] == VIRTUALENV_VERSION

    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # a reinstall would now fail
    started = time.monotonic()
    second = corral("venv", "--python", "2.7", "--no-seed", str(tmp_path / "b"))
    second_s = time.monotonic() - started
    assert second.exit_code == 0, second.stderr
    assert (root / MARKER_FILE).read_text(encoding="utf-8") == record
    assert root.stat().st_ino == inode
    assert [p.name for p in root.parent.iterdir() if p.name.startswith(".")] == []
    sys.stderr.write(f"toolchain install + 2.7 env: {first_s:.2f}s; reuse + 2.7 env: {second_s:.2f}s\n")
    assert second_s < first_s


def test_toolchain_install_uses_the_projects_index_setting(
    corral: Corral,
    tmp_path: Path,
    local_index: LocalIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyenv_python("2.7")
    require_wheelhouse(*TOOLCHAIN_WHEELS)
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # only the project's setting can work
    project = tmp_path / "legacy"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "legacy"\nversion = "0"\n\n[tool.corral]\nindex-url = "{local_index.simple_url}"\n'
    )
    done = corral("venv", "--python", "2.7", "--no-seed", cwd=project)
    assert done.exit_code == 0, done.stderr
    assert (project / ".venv" / "bin" / "python").exists()


def test_offline_without_toolchain_fails_with_one_clear_line(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv_python("2.7")
    home = tmp_path / "home"
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_OFFLINE", "1")
    env = tmp_path / "never"
    result = corral("venv", "--python", "2.7", str(env))
    assert result.exit_code != 0
    assert f"corral needs to download virtualenv {VIRTUALENV_VERSION} once" in result.stderr
    assert "Traceback" not in result.stderr
    assert not env.exists()
    toolchain = toolchain_dir(home / "data")
    assert not toolchain.exists()
    assert [p.name for p in toolchain.parent.iterdir() if p.name.startswith(".")] == []


_BUILD = """
import os, sys
from pathlib import Path
from corral.toolchain.virtualenv_tool import ensure_virtualenv
tool = ensure_virtualenv(Path(sys.argv[1]), environ=dict(os.environ), host=lambda: sys.argv[2], index_url=sys.argv[3])
print(tool.record["build_id"])
"""


def test_two_processes_racing_build_the_toolchain_once(tmp_path: Path, local_index: LocalIndex) -> None:
    host = str(pyenv_python("3.12"))
    require_wheelhouse(*TOOLCHAIN_WHEELS)
    data = tmp_path / "data"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD, str(data), host, local_index.simple_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=isolated_environ(),
        )
        for _ in range(2)
    ]
    answers = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), answers
    build_ids = {out.strip() for out, _ in answers}
    assert len(build_ids) == 1
    record = json.loads((toolchain_dir(data) / MARKER_FILE).read_text(encoding="utf-8"))
    assert record["build_id"] in build_ids


@pytest.mark.parametrize("host_version", ["3.11", "3.12", "3.13"])
def test_toolchain_runs_on_modern_hosts_and_creates_27_envs(
    tmp_path: Path, local_index: LocalIndex, host_version: str, legacy_home: Path
) -> None:
    target = pyenv_python("2.7")
    host = pyenv_python(host_version)
    # the session toolchain already runs on 3.13
    data = legacy_home / "data" if host_version == "3.13" else tmp_path / "data"
    tool = ensure_virtualenv(data, environ=isolated_environ(), host=lambda: str(host), index_url=local_index.simple_url)
    assert tool.record["host"] == str(host)
    env = tmp_path / "env"
    subprocess.run(
        [
            *tool.command(),
            str(env),
            "-p",
            str(target),
            "--no-download",
            "--no-periodic-update",
            "--app-data",
            str(tmp_path / "app-data"),
        ],
        check=True,
        capture_output=True,
        env={**isolated_environ(), "VIRTUALENV_CONFIG_FILE": os.devnull},
    )
    assert _out([env / "bin" / "python", "-c", "import sys; print(sys.version_info[:2])"]) == "(2, 7)"
    assert _out([env / "bin" / "pip", "--version"]).startswith("pip 20.3.4 ")


def test_a_toolchain_whose_host_python_vanished_is_rebuilt_in_place(tmp_path: Path, local_index: LocalIndex) -> None:
    host = str(pyenv_python("3.12"))
    require_wheelhouse(*TOOLCHAIN_WHEELS)
    data = tmp_path / "data"
    first = ensure_virtualenv(data, environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    first.python.unlink()
    first.python.symlink_to(tmp_path / "uninstalled" / "python3.12")  # the host was removed (pyenv uninstall)
    second = ensure_virtualenv(data, environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    assert second.root == first.root
    assert second.record["build_id"] != first.record["build_id"]
    assert _out([*second.command(), "--version"]).startswith(f"virtualenv {VIRTUALENV_VERSION} ")
    assert sorted(p.name for p in second.root.parent.iterdir()) == [second.root.name, f"{second.root.name}.lock"]
