"""Locking a project that locked packages depend back on (issue 12: pytest on pluggy, smokeshow on typer).

The projects are real-shaped fixtures (tests/data/projects: a pyproject.toml and a stub package) built by their
real backends from the local index: pluggy-like takes its version from git through setuptools-scm, typer-like from
its `__version__`. The oracle is uv's own project lock (`uv lock` in a copy of the project): corral must lock the
versions it picks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from packaging.pylock import Pylock

from conftest import missing, pyenv_python
from corral.infra.uvbin import uv_binary
from support.toml import tomllib
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from conftest import RunResult
    from support.index import LocalIndex

    Runner: TypeAlias = Callable[..., RunResult]  # the in-process CLI runner fixture

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "projects"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "corral tests",
    "GIT_AUTHOR_EMAIL": "tests@corral.invalid",
    "GIT_COMMITTER_NAME": "corral tests",
    "GIT_COMMITTER_EMAIL": "tests@corral.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def indexed(local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> LocalIndex:
    """Point uv and pip (and so corral, and the build envs it makes) at the local index."""
    require_wheelhouse("setuptools-84.*.whl", "setuptools_scm-*.whl", "vcs_versioning-*.whl", "pip-26.*.whl")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    return local_index


def git(root: Path, *args: str) -> None:
    """Run git in `root` with a fixed identity and no user or system configuration."""
    if shutil.which("git") is None:
        missing("git is needed for setuptools-scm versions")
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_IDENTITY}, check=True, capture_output=True)


def copy_project(name: str, tmp_path: Path) -> Path:
    """A copy of tests/data/projects/NAME pinned to Python 3.12."""
    root = tmp_path / name
    shutil.copytree(DATA / name, root)
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    return root


def pluggy_like(tmp_path: Path) -> Path:
    """pluggy-like in a git repository one commit past its tag 1.6.0: setuptools-scm says 1.6.1.dev1+g<sha>."""
    root = copy_project("pluggy-like", tmp_path)
    git(root, "init", "-q")
    git(root, "add", "pyproject.toml", "src")
    git(root, "commit", "-q", "-m", "first")
    git(root, "tag", "1.6.0")
    (root / "CHANGELOG").write_text("unreleased\n", encoding="utf-8")
    git(root, "add", "CHANGELOG")
    git(root, "commit", "-q", "-m", "second")
    return root


def lock_entries(root: Path) -> dict[str, dict[str, Any]]:
    """The project's pylock.toml entries by name (validated as PEP 751 first)."""
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    Pylock.from_dict(data)
    return {p["name"]: p for p in data["packages"]}


def uv_lock_versions(root: Path, tmp_path: Path, index: LocalIndex, clean_env: dict[str, str]) -> dict[str, str]:
    """What `uv lock` picks for a copy of the project (its own project version left out)."""
    oracle = tmp_path / "oracle"
    shutil.copytree(root, oracle, ignore=shutil.ignore_patterns("pylock.toml", ".venv"))
    subprocess.run(
        [uv_binary(), "lock", "-q", "--python", str(pyenv_python("3.12")), "--index-url", index.simple_url],
        cwd=oracle,
        env=clean_env,
        check=True,
        capture_output=True,
    )
    packages = tomllib.loads((oracle / "uv.lock").read_text(encoding="utf-8"))["package"]
    return {p["name"]: p["version"] for p in packages if "version" in p and "editable" not in p["source"]}


def test_lock_resolves_the_project_at_its_scm_version(tmp_path: Path, corral: Runner, indexed: LocalIndex) -> None:
    # given: pytest-lite 9.0 needs pluggy-like>=1.5,<2; pytest-lite 3.2 does not need it at all
    root = pluggy_like(tmp_path)
    # when
    result = corral("lock", cwd=root)
    # then: not the silent downgrade a project resolved at version "0" gets
    assert result.exit_code == 0, result.stderr
    assert lock_entries(root)["pytest-lite"]["version"] == "9.0"


def test_lock_picks_what_uv_lock_picks(
    tmp_path: Path, corral: Runner, indexed: LocalIndex, clean_env: dict[str, str]
) -> None:
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    locked = {n: p["version"] for n, p in lock_entries(root).items() if "version" in p}
    assert locked == uv_lock_versions(root, tmp_path, indexed, clean_env) == {"pytest-lite": "9.0"}


def test_lock_resolves_a_group_needing_the_project_at_its_file_version(
    tmp_path: Path, corral: Runner, indexed: LocalIndex
) -> None:
    # given: smokeshow-lite needs typer-like>=0.12; typer-like's version is in typer_like/__init__.py
    root = copy_project("typer-like", tmp_path)
    # when
    result = corral("lock", cwd=root)
    # then: no "depends on itself at an incompatible version"
    assert result.exit_code == 0, result.stderr
    assert lock_entries(root)["smokeshow-lite"]["version"] == "0.5.0"


def test_lock_sees_an_edited_version_file_without_a_commit(tmp_path: Path, corral: Runner, indexed: LocalIndex) -> None:
    # given: a lock made at 0.24.1 (its version cached)
    root = copy_project("typer-like", tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    # when: the version drops below what smokeshow-lite accepts
    init = root / "typer_like" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace("0.24.1", "0.11.0"), encoding="utf-8")
    result = corral("lock", cwd=root)
    # then: the new version was asked for, not the cached one
    assert result.exit_code == 1
    assert "smokeshow-lite" in result.stderr and "Traceback" not in result.stderr


def test_unchanged_project_asks_its_build_backend_once(tmp_path: Path, corral: Runner, indexed: LocalIndex) -> None:
    root = pluggy_like(tmp_path)
    first = corral("lock", cwd=root)
    assert first.exit_code == 0 and "dynamic version" in first.stdout + first.stderr
    again = corral("lock", "--json", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert "dynamic version" not in again.stdout + again.stderr
    assert json.loads(again.stdout)["data"]["written"] is False


def test_lock_records_the_project_when_a_locked_package_needs_it(
    tmp_path: Path, corral: Runner, indexed: LocalIndex
) -> None:
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    entry = lock_entries(root)["pluggy-like"]
    # PEP 751: a source tree has no version; no marker, as `corral sync` installs the project for every selection
    assert entry["directory"] == {"path": ".", "editable": True}
    assert "version" not in entry and "marker" not in entry


def test_lock_leaves_the_project_out_when_nothing_needs_it(tmp_path: Path, corral: Runner, indexed: LocalIndex) -> None:
    root = copy_project("typer-like", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"smokeshow-lite>=0.5.0"', '"alpha"'), encoding="utf-8"
    )
    assert corral("lock", cwd=root).exit_code == 0
    assert "typer-like" not in lock_entries(root)


def test_uv_pip_sync_of_the_lock_installs_the_project_its_dependents_need(
    tmp_path: Path, corral: Runner, indexed: LocalIndex, clean_env: dict[str, str]
) -> None:
    # given
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    env = tmp_path / "venv"
    environ = {**clean_env, "UV_INDEX_URL": indexed.simple_url}  # the project's build requirements
    subprocess.run(
        [uv_binary(), "venv", "-q", "--python", str(pyenv_python("3.12")), str(env)], check=True, env=environ
    )
    # when
    subprocess.run(
        [
            uv_binary(),
            "pip",
            "sync",
            "-q",
            "--preview-features",
            "pylock",
            "--group",
            "testing",
            "--python",
            str(env / "bin" / "python"),
            str(root / "pylock.toml"),
        ],
        check=True,
        env=environ,
    )
    # then: a closed set, with the project installed editable from the work tree
    listed = subprocess.run(
        [uv_binary(), "pip", "list", "--format", "json", "--python", str(env / "bin" / "python")],
        check=True,
        env=environ,
        capture_output=True,
        text=True,
    )
    rows = {p["name"]: p for p in json.loads(listed.stdout)}
    assert set(rows) == {"pluggy-like", "pytest-lite"}, rows
    assert rows["pytest-lite"]["version"] == "9.0"
    assert rows["pluggy-like"]["version"].startswith("1.6.1.dev1")
    assert rows["pluggy-like"].get("editable_project_location") == str(root)


def test_corral_sync_installs_the_project_once_from_its_entry(
    tmp_path: Path, corral: Runner, indexed: LocalIndex
) -> None:
    # given
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    # when
    result = corral("sync", "--group", "testing", "--json", cwd=root)
    # then: the entry is the editable install sync always made, not a second install of the project
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["data"]
    assert report["project_installed"] is True
    assert [row["name"] for row in report["installed"]] == ["pytest-lite"]
    check = subprocess.run(
        [
            str(root / ".venv" / "bin" / "python"),
            "-c",
            "import pluggy_like, pytest_lite; print(pluggy_like.__file__, pytest_lite.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == [str(root / "src" / "pluggy_like" / "__init__.py"), "9.0"]
    again = corral("sync", "--group", "testing", "--json", cwd=root)
    assert again.exit_code == 0 and json.loads(again.stdout)["data"]["noop"] is True


def _pip_env(tmp_path: Path, index: LocalIndex, clean_env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    env = tmp_path / "pip-venv"
    environ = {**clean_env, "PIP_INDEX_URL": index.simple_url, "UV_INDEX_URL": index.simple_url}
    subprocess.run(
        [uv_binary(), "venv", "-q", "--python", str(pyenv_python("3.12")), str(env)], check=True, env=environ
    )
    subprocess.run(
        [uv_binary(), "pip", "install", "-q", "--python", str(env / "bin" / "python"), "pip==26.3"],
        check=True,
        env=environ,
    )
    return env / "bin" / "pip", environ


def test_pip_26_installs_a_lock_whose_packages_need_no_project(
    tmp_path: Path, corral: Runner, indexed: LocalIndex, clean_env: dict[str, str]
) -> None:
    root = copy_project("typer-like", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"smokeshow-lite>=0.5.0"', '"beta"'), encoding="utf-8"
    )
    assert corral("lock", cwd=root).exit_code == 0
    pip, environ = _pip_env(tmp_path, indexed, clean_env)
    done = subprocess.run(
        [str(pip), "install", "-q", "--group", f"{root / 'pylock.toml'}:github-actions"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.xfail(strict=True, reason="pip 26.3 refuses a directory entry beside hashed ones (pypa/pip#13943)")
def test_pip_26_installs_the_lock_with_the_project_entry(
    tmp_path: Path, corral: Runner, indexed: LocalIndex, clean_env: dict[str, str]
) -> None:
    root = pluggy_like(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    pip, environ = _pip_env(tmp_path, indexed, clean_env)
    done = subprocess.run(
        [str(pip), "install", "-q", "--group", f"{root / 'pylock.toml'}:testing"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
