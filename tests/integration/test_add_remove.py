"""`corral add` / `corral remove`: all or nothing, comments kept, crash-safe, serialized."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, corral_exe, pyenv_python
from corral.infra.uvbin import uv_binary
from support.journals import pending_journals
from support.toml import tomllib

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

PYPROJECT = """\
# my project, hand-edited
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = [
    # the important one
    "alpha>=1.0",  # loosely pinned on purpose
]

[tool.corral]
seed = false  # keep it small
"""


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> str:
    url = local_index.simple_url
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)
    return url


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (folder / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return folder


def installed(root: Path) -> dict[str, str]:
    out = subprocess.run(
        [uv_binary(), "pip", "list", "--format", "json", "--python", str(root / ".venv/bin/python")],
        capture_output=True,
        text=True,
        check=True,
    )
    return {p["name"]: p["version"] for p in json.loads(out.stdout)}


def locked(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"]}


def snapshot(root: Path) -> tuple[bytes, bytes | None]:
    lock = root / "pylock.toml"
    return (root / "pyproject.toml").read_bytes(), lock.read_bytes() if lock.exists() else None


def test_add_records_locks_installs_and_keeps_comments(root: Path, corral: Corral, indexed: str) -> None:
    result = corral("add", "beta", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    text = (root / "pyproject.toml").read_text()
    assert "# my project, hand-edited" in text and "# the important one" in text
    assert "# loosely pinned on purpose" in text and "seed = false  # keep it small" in text
    assert '"beta",' in text
    assert locked(root) == {"alpha": "2.0", "beta": "1.0"}
    assert installed(root) == {"alpha": "2.0", "beta": "1.0"}
    report = json.loads(result.stdout)["data"]
    assert report["target"] == "project" and {"name": "beta", "version": "1.0"} in report["lock"]["added"]
    assert not list(root.glob(".*.corral-new-*")) and not pending_journals()


def test_add_to_groups_and_extras_then_remove(root: Path, corral: Corral, indexed: str) -> None:
    assert corral("add", "--dev", "cowsay-lite", cwd=root).exit_code == 0
    assert corral("add", "--group", "docs", "delta<1.2", cwd=root).exit_code == 0
    assert corral("add", "--optional", "fast", "gamma[fast]", cwd=root).exit_code == 0
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["dependency-groups"] == {"dev": ["cowsay-lite"], "docs": ["delta<1.2"]}
    assert data["project"]["optional-dependencies"] == {"fast": ["gamma[fast]"]}
    now = installed(root)
    assert {"cowsay-lite", "gamma", "delta", "alpha"} <= set(now)
    assert (root / ".venv/bin/cowsay-lite").exists()
    assert corral("remove", "--dev", "cowsay-lite", cwd=root).exit_code == 0
    assert "cowsay-lite" not in locked(root) and "cowsay-lite" not in installed(root)
    missing = corral("remove", "beta", cwd=root)
    assert missing.exit_code == 2 and "beta not recorded in project" in missing.stderr


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("no-such-package", "no-such-package"),
        ("epsilon", "epsilon"),
        ("winonly", "winonly"),
        ("broken", "broken"),
    ],
)
def test_failed_add_changes_nothing_and_names_the_requirement(
    root: Path, corral: Corral, indexed: str, requirement: str, expected: str
) -> None:
    assert corral("add", "beta", cwd=root).exit_code == 0
    before, env_before = snapshot(root), installed(root)
    result = corral("add", requirement, cwd=root)
    assert result.exit_code == 1
    assert f"'{expected}'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before
    assert installed(root) == env_before
    assert not [p.name for p in root.iterdir() if p.name.endswith(".tmp") or ".corral-new-" in p.name]


def test_conflict_names_a_culprit_and_changes_nothing(root: Path, corral: Corral, indexed: str) -> None:
    before = snapshot(root)
    result = corral("add", "conflict-a", "conflict-b", cwd=root)
    assert result.exit_code == 1
    assert "conflict-a" in result.stderr and "conflict-b" in result.stderr and "alpha" in result.stderr
    assert snapshot(root) == before


def test_invalid_requirement_exits_2_naming_it(root: Path, corral: Corral, indexed: str) -> None:
    before = snapshot(root)
    result = corral("add", "beta", "not a requirement!!", cwd=root)
    assert result.exit_code == 2
    assert "'not a requirement!!'" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "requirement",
    [
        'alpha; python_version > "3.x"',
        "alpha; '3.x' < python_version",
        'alpha; python_full_version >= "three"',
        'alpha; python_version ~= "3"',
    ],
)
def test_a_marker_comparing_a_version_with_a_non_version_is_refused(
    root: Path, corral: Corral, indexed: str, requirement: str
) -> None:
    before = snapshot(root)
    result = corral("add", requirement, cwd=root)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "cannot be evaluated as written" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(root) == before
    assert corral("add", 'alpha; python_version >= "3.8" and python_version != "3.9.*"', cwd=root).exit_code == 0


def _local_source(tmp_path: Path, built_packages: dict[str, list[Path]]) -> Path:
    sdist = built_packages["sdistonly"][0]
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "src", filter="data")
    return tmp_path / "src" / "sdistonly-1.0"


def test_add_local_path_vcs_url_and_sdist_only(
    root: Path,
    corral: Corral,
    indexed: str,
    tmp_path: Path,
    built_packages: dict[str, list[Path]],
    clean_env: dict[str, str],
) -> None:
    source = _local_source(tmp_path, built_packages)
    result = corral("add", str(source), cwd=root)
    assert result.exit_code == 0, result.stderr
    recorded = tomllib.loads((root / "pyproject.toml").read_text())
    assert "sdistonly" in recorded["project"]["dependencies"], "a local path: the bare name, as uv records it"
    relative = Path(os.path.relpath(source.resolve(), root.resolve())).as_posix()
    assert recorded["tool"]["uv"]["sources"]["sdistonly"] == {"path": relative}
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert next(p for p in lock["packages"] if p["name"] == "sdistonly")["directory"]["path"] == relative
    assert installed(root)["sdistonly"] == "1.0"
    assert corral("remove", "sdistonly", cwd=root).exit_code == 0
    assert "uv" not in tomllib.loads((root / "pyproject.toml").read_text())["tool"], "the source went with the name"

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    git = {
        **clean_env,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=source, check=True, env=git)
    url = f"git+{source.resolve().as_uri()}"
    result = corral("add", url, cwd=root)
    assert result.exit_code == 0, result.stderr
    assert f"sdistonly @ {url}" in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = tomllib.loads((root / "pylock.toml").read_text())
    vcs = next(p for p in lock["packages"] if p["name"] == "sdistonly")["vcs"]
    assert vcs["type"] == "git" and len(vcs["commit-id"]) == 40
    assert corral("remove", "sdistonly", cwd=root).exit_code == 0

    result = corral("add", "sdistonly", cwd=root)  # sdist-only from the index: built as needed
    assert result.exit_code == 0, result.stderr
    assert installed(root)["sdistonly"] == "1.0"


def _subprocess_env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "UV_INDEX_URL": url, "PIP_INDEX_URL": url, **extra}


@pytest.mark.parametrize(
    "point",
    [
        "add.after-lock",
        "add.after-install",
        "txn.after-write-new",
        "txn.after-journal",
        "txn.before-rename-lock",
        "txn.before-journal-delete",
    ],
)
def test_kill_during_add_leaves_old_or_new_pair_and_next_command_recovers(
    root: Path, corral: Corral, indexed: str, point: str
) -> None:
    assert corral("add", "beta", cwd=root).exit_code == 0
    old = snapshot(root)
    done = subprocess.run(
        [*corral_exe(), "add", "--dev", "cowsay-lite"],
        cwd=root,
        env=_subprocess_env(indexed, CORRAL_FAULT=point),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    # the next mutating command finishes or undoes what was left
    assert corral("add", "--group", "docs", "delta", cwd=root).exit_code == 0
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    groups = pyproject.get("dependency-groups", {})
    lock = locked(root)
    assert ("cowsay-lite" in groups.get("dev", [])) == ("cowsay-lite" in lock), "pyproject and lock disagree"
    committed = point in {"txn.after-journal", "txn.before-rename-lock", "txn.before-journal-delete"}
    assert ("cowsay-lite" in lock) == committed
    assert old[0] != (root / "pyproject.toml").read_bytes()
    assert not [p.name for p in root.iterdir() if p.name.endswith(".tmp") or ".corral-new-" in p.name]
    assert not pending_journals()
    assert "delta" in installed(root)
    assert corral("lock", "--check", cwd=root).exit_code == 0


def test_concurrent_adds_are_serialized_and_both_recorded(root: Path, corral: Corral, indexed: str) -> None:
    assert corral("add", "beta", cwd=root).exit_code == 0
    env = _subprocess_env(indexed)
    procs = [
        subprocess.Popen(
            [*corral_exe(), "add", "--group", group, package],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group, package in (("one", "cowsay-lite"), ("two", "delta"))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    groups = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]
    assert groups == {"one": ["cowsay-lite"], "two": ["delta"]}
    assert {"cowsay-lite", "delta", "beta"} <= set(locked(root))
