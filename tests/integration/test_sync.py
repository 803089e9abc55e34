"""`corral sync` end to end: real envs, real uv and pip, the local index, hand-written and tool-written locks."""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project
from uv import find_uv_bin

from conftest import RunResult, pyenv_python
from corral.core.env import Env
from corral.services.inspection import installed_distributions
from corral.toolchain.legacy import VIRTUALENV_VERSION
from corral.toolchain.virtualenv_tool import ensure_virtualenv
from support.fixtures import isolated_environ
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Callable

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

ENGINES = ["uv", "pip"]
W = "py2.py3-none-any.whl"
UV = str(find_uv_bin())


@pytest.fixture
def indexed(local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> LocalIndex:
    """Point uv and pip (and so corral) at the local index."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    return local_index


def make_project(tmp_path: Path, **kwargs: object) -> Path:
    """A project pinned to Python 3.12 (.python-version)."""
    pyenv_python("3.12")  # skip (fail under CI) when it is missing
    root = write_project(tmp_path / "proj", **kwargs)  # type: ignore[arg-type]
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    return root


def installed(root: Path) -> dict[str, str]:
    """{normalized name: version} in the project's env, read from disk."""
    env = root / ".venv"
    found = installed_distributions(Env.at(env).site_packages())
    return {k.lower().replace("_", "-"): v for k, v in found.items()}


def env_python(root: Path) -> str:
    """The env's interpreter."""
    return str(root / ".venv" / "bin" / "python")


def py(root: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run code in the env's interpreter."""
    return subprocess.run([env_python(root), "-c", code], capture_output=True, text=True, check=False, timeout=60)


def multi_lock(root: Path, index: LocalIndex, **overrides: Entry) -> Path:
    """A multi-use lock: alpha+beta always, delta in dev, gamma for extra fast, cowsay-lite in docs."""
    entries = {
        "alpha": Entry(f"alpha-1.1-{W}"),
        "beta": Entry(f"beta-1.0-{W}"),
        "delta": Entry(f"delta-1.2-{W}", marker="'dev' in dependency_groups"),
        "gamma": Entry(f"gamma-1.0-{W}", marker="'fast' in extras"),
        "cowsay": Entry(f"cowsay_lite-1.0-{W}", marker="'docs' in dependency_groups"),
    }
    entries.update(overrides)
    return write_lock(
        root,
        index,
        list(entries.values()),
        dict(os.environ),
        extras=["fast"],
        groups=["dev", "docs"],
        default_groups=["dev"],
    )


MULTI_PROJECT = {
    "deps": ["beta"],
    "groups": {"dev": ["delta"], "docs": ["cowsay-lite"]},
    "extras": {"fast": ["gamma[fast]"]},
}


@pytest.mark.parametrize("engine", ENGINES)
def test_sync_installs_default_groups_then_selected_extras_and_groups(
    engine: str,
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    result = corral("sync", "--engine", engine, cwd=root)
    assert result.exit_code == 0, result.stderr
    have = installed(root)
    assert {"alpha", "beta", "delta"} <= set(have)
    assert "gamma" not in have
    assert "cowsay-lite" not in have
    assert "installing 3 package(s): alpha, beta, delta" in result.stderr
    assert py(root, "import alpha, beta, delta; print(alpha.__version__)").stdout.strip() == "1.1"

    result = corral("sync", "--engine", engine, "--extra", "fast", "--group", "docs", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert sorted(r["name"] for r in report["installed"]) == ["cowsay-lite", "gamma"]
    assert report["engine"] == engine

    result = corral("sync", "--engine", engine, "--no-dev", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert sorted(r["name"] for r in report["removed"]) == ["cowsay-lite", "delta", "gamma"]
    assert {"alpha", "beta"} <= set(installed(root))
    assert "pip" in installed(root), "the seed packages of a seeded env are kept"


@pytest.mark.parametrize("engine", ENGINES)
def test_sync_removes_a_package_installed_by_hand_and_changes_versions(
    engine: str,
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    assert corral("sync", "--engine", engine, cwd=root).exit_code == 0
    hand = subprocess.run(
        [env_python(root), "-m", "pip", "install", "--no-deps", "cowsay-lite", "alpha==2.0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert hand.returncode == 0, hand.stdout + hand.stderr
    assert installed(root)["alpha"] == "2.0"

    result = corral("sync", "--engine", engine, "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert [r["name"] for r in report["removed"]] == ["cowsay-lite"]
    assert report["changed"] == [{"name": "alpha", "old": "2.0", "new": "1.1"}]
    assert installed(root)["alpha"] == "1.1"
    assert "cowsay-lite" not in installed(root)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_package_that_fails_to_install_is_named_and_the_env_still_works(
    engine: str,
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    assert corral("sync", "--engine", engine, cwd=root).exit_code == 0
    multi_lock(root, indexed, broken=Entry(f"broken-1.0-{W}"))
    result = corral("sync", "--engine", engine, cwd=root)
    assert result.exit_code == 1
    assert "could not install broken 1.0" in result.stderr
    assert "Traceback" not in result.stderr
    assert py(root, "import alpha, beta, delta").returncode == 0
    assert "broken" not in installed(root)
    # the failure left no stamp: the next sync acts again (and fails the same way) rather than claiming success
    assert corral("sync", "--engine", engine, cwd=root).exit_code == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hash_mismatch_is_refused(
    engine: str,
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed, alpha=Entry(f"alpha-1.1-{W}", bad_hash=True))
    result = corral("sync", "--engine", engine, cwd=root)
    assert result.exit_code == 1
    assert "alpha" in result.stderr
    assert "hash" in result.stderr.lower()
    assert "alpha" not in installed(root)


def test_unknown_group_is_one_usage_error_line(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    result = corral("sync", "--group", "tests", cwd=root)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        (
            "error: unknown dependency group 'tests': the lock offers dev, docs "
            "(add the group to [dependency-groups] and run `corral lock`)"
        )
    ]


def _corral_sync(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "sync", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_noop_sync_uses_only_the_stdlib_and_a_bare_pip_install_defeats_it(
    engine: str,
    tmp_path: Path,
    indexed: LocalIndex,
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    first = _corral_sync(root, "--engine", engine)
    assert first.returncode == 0, first.stderr
    second = _corral_sync(root)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stderr
    heavy = ("packaging", "corral.services.context")
    assert [m for m in heavy if f" {m}\n" in first.stderr] == list(heavy), "the detector sees a full sync's imports"
    assert [m for m in (*heavy, "filelock", "tomlkit", "rich") if f" {m}\n" in second.stderr] == []
    # the stamp stays valid through a plain import (which writes __pycache__ into site-packages)
    assert py(root, "import alpha").returncode == 0
    assert "nothing to do" in _corral_sync(root).stderr

    subprocess.run([env_python(root), "-m", "pip", "uninstall", "-y", "beta"], capture_output=True, check=True)
    third = _corral_sync(root)
    assert third.returncode == 0, third.stderr
    assert "nothing to do" not in third.stderr
    assert "installing 1 package(s): beta" in third.stderr
    assert "beta" in installed(root)


def test_pyproject_edit_makes_sync_recheck_the_lock(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    multi_lock(root, indexed)
    assert corral("sync", cwd=root).exit_code == 0
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace('["beta"]', '["beta", "cowsay-lite"]'), encoding="utf-8")
    result = corral("sync", "--locked", cwd=root)
    assert result.exit_code == 1
    assert "corral lock" in result.stderr
    assert "cowsay-lite" not in installed(root)


def test_frozen_sync_of_a_pylock_written_by_uv_export(
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
    clean_env: dict[str, str],
) -> None:
    root = make_project(tmp_path, deps=["beta", "gamma[fast]"], package=True)
    environ = dict(clean_env, UV_INDEX_URL=indexed.simple_url)
    python = str(pyenv_python("3.12"))
    for cmd in (["lock", "--python", python], ["export", "--format", "pylock.toml", "-o", "pylock.toml", "--quiet"]):
        done = subprocess.run(
            [UV, *cmd], cwd=root, env=environ, capture_output=True, text=True, check=False, timeout=120
        )
        assert done.returncode == 0, done.stderr
    text = (root / "pylock.toml").read_text(encoding="utf-8")
    assert "default-groups" not in text
    assert 'path = "."' in text, "uv lists the project itself as a directory entry"
    result = corral("sync", "--frozen", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert {"alpha", "beta", "gamma", "delta", "demo"} <= set(installed(root))
    assert py(root, "import demo; print(demo.VALUE)").stdout.strip() == "42"


def test_sync_installs_the_project_editable_when_it_is_a_package(
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, package=True, **MULTI_PROJECT)
    multi_lock(root, indexed)
    result = corral("sync", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert " + demo (editable)" in result.stdout
    (root / "src" / "demo.py").write_text("VALUE = 43\n", encoding="utf-8")
    assert py(root, "import demo; print(demo.VALUE)").stdout.strip() == "43"
    again = corral("sync", "--no-dev", "--json", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert [r["name"] for r in json.loads(again.stdout)["data"]["removed"]] == ["delta"], "the project is kept"


_COUNTING = """
_build_editable = build_editable


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "builds.log"), "a") as log:
        log.write("built\\n")
    return _build_editable(wheel_directory, config_settings, metadata_directory)
"""


def test_a_new_env_gets_the_project_from_uvs_cache_until_its_build_inputs_change(
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
) -> None:
    root = make_project(tmp_path, package=True, **MULTI_PROJECT)
    with (root / "_build" / "demo_backend.py").open("a", encoding="utf-8") as backend:
        backend.write(_COUNTING)
    multi_lock(root, indexed)
    log = root / "_build" / "builds.log"
    assert corral("sync", cwd=root).exit_code == 0
    assert log.read_text(encoding="utf-8").count("built") == 1
    for _ in range(2):  # a new env: the same editable wheel, from uv's cache (as `uv sync` installs a project)
        subprocess.run(["rm", "-rf", str(root / ".venv")], check=True)
        result = corral("sync", cwd=root)
        assert result.exit_code == 0, result.stderr
        assert " + demo (editable)" in result.stdout
        assert py(root, "import demo; print(demo.VALUE)").stdout.strip() == "42"
    assert log.read_text(encoding="utf-8").count("built") == 1
    stat = (root / "pyproject.toml").stat()
    os.utime(root / "pyproject.toml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    subprocess.run(["rm", "-rf", str(root / ".venv")], check=True)
    assert corral("sync", cwd=root).exit_code == 0
    assert log.read_text(encoding="utf-8").count("built") == 2, "pyproject.toml changed: built again"


@pytest.mark.usefixtures("indexed")
def test_sync_through_corral_lock(tmp_path: Path, corral: Callable[..., RunResult]) -> None:
    root = make_project(tmp_path, **MULTI_PROJECT)
    result = corral("sync", cwd=root)  # no lock yet: sync locks first
    assert result.exit_code == 0, result.stderr
    assert (root / "pylock.toml").is_file()
    have = installed(root)
    assert have["alpha"] == "2.0"
    assert {"beta", "delta"} <= set(have)
    assert "gamma" not in have
    assert corral("sync", "--extra", "fast", cwd=root).exit_code == 0
    assert {"gamma", "delta"} <= set(installed(root))


@pytest.fixture(scope="session")
def legacy_home(tmp_path_factory: pytest.TempPathFactory, local_index: LocalIndex) -> Path:
    """A CORRAL_HOME with corral's virtualenv toolchain for 2.7 envs, installed once from the local index."""
    require_wheelhouse(f"virtualenv-{VIRTUALENV_VERSION}-*.whl", "pip-20.3.4-*.whl", "setuptools-44.1.1-*.whl")
    home = tmp_path_factory.mktemp("legacy-home")
    host = str(pyenv_python("3.13"))
    ensure_virtualenv(home / "data", environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    return home


def test_a_python_27_env_is_synced_with_pip_because_uv_cannot_serve_it(
    tmp_path: Path,
    indexed: LocalIndex,
    legacy_home: Path,
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyenv_python("2.7")
    monkeypatch.setenv("CORRAL_HOME", str(legacy_home))
    root = write_project(tmp_path / "proj", deps=["beta"], requires_python=">=2.7")
    (root / ".python-version").write_text("2.7\n", encoding="utf-8")
    write_lock(
        root,
        indexed,
        [Entry(f"alpha-1.1-{W}"), Entry(f"beta-1.0-{W}")],
        dict(os.environ),
        extras=[],
        groups=[],
        default_groups=[],
    )
    result = corral("sync", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert report["engine"] == "pip"
    assert sorted(r["name"] for r in report["installed"]) == ["alpha", "beta"]
    code = "import alpha, sys; sys.stdout.write('%s %d' % (alpha.__version__, sys.version_info[0]))"
    assert py(root, code).stdout == "1.1 2"
    infos = list((root / ".venv").glob("lib/python2.7/site-packages/alpha-1.1.dist-info"))
    assert infos, "alpha's dist-info"
    assert not (infos[0] / "direct_url.json").exists(), "pip 20.3.4 installed alpha as an index package"
    refused = corral("sync", "--engine", "uv", cwd=root)
    assert refused.exit_code == 2
    assert "uv cannot install into Python 2.7.18 envs" in refused.stderr
