"""A repository cannot plant corral's journals: they live in corral's state folder, and even there they may name only
the files corral itself generates. Each test is an attack a stranger's repository made work before the fix."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.infra.journals import project_key
from support.journals import pending_journals
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ, tree_digest

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

PYPROJECT = demo_pyproject("alpha>=1.0")
EVIL = b"pwned by a cloned repository\n"


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> str:
    url = local_index.simple_url
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)
    return url


@pytest.fixture
def template(tmp_path_factory: pytest.TempPathFactory, corral: Callable[..., Ran], indexed: str) -> Path:
    """A locked and synced project, built once per test module (copied per test)."""
    root = tmp_path_factory.mktemp("template") / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    return root


@pytest.fixture
def lab(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    """(project, victim): a fresh copy of the synced project and a folder of the user's beside it."""
    root = tmp_path / "proj"
    shutil.copytree(template, root, symlinks=True)
    shutil.rmtree(root / ".venv")  # an env is tied to its path: rebuild it here
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("the user's notes\n", encoding="utf-8")
    (victim / "sub").mkdir()
    (victim / "sub" / "thesis.tex").write_text("\\section{years of work}\n", encoding="utf-8")
    return root, victim


class Ran:
    """A corral subprocess's outcome (`run` execs, so every command runs in its own process)."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.exit_code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr


@pytest.fixture
def corral() -> Callable[..., Ran]:
    def _run(*args: str, cwd: Path) -> Ran:
        return Ran(
            subprocess.run(
                corral_cmd(*args),
                cwd=cwd,
                env=subprocess_environ(),
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
        )

    return _run


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _clean(result: object) -> None:
    text = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in text and "internal error" not in text, text


@pytest.mark.parametrize("target", ["../victim/notes.txt", "{victim}/notes.txt"])
def test_a_shipped_transaction_journal_is_never_obeyed(
    corral: Callable[..., Ran], lab: tuple[Path, Path], target: str
) -> None:
    root, victim = lab
    (root / "evil.corral-new").write_bytes(EVIL)
    (root / ".pyproject.toml.corral-new").write_bytes(EVIL)
    entry = {"target": target.format(victim=victim), "new": "evil.corral-new", "sha256": _sha(EVIL)}
    (root / ".corral-txn.json").write_text(json.dumps({"version": 1, "files": [entry]}), encoding="utf-8")
    before = tree_digest(victim)
    for argv in (["lock"], ["sync"], ["run", "true"], ["add", "beta"]):
        result = corral(*argv, cwd=root)
        _clean(result)
        assert result.exit_code == 0, (argv, result.stderr)
    assert tree_digest(victim) == before
    assert (root / "evil.corral-new").read_bytes() == EVIL, "corral acted on a file it did not write"


def test_a_shipped_recreate_journal_with_an_empty_token_deletes_nothing(
    corral: Callable[..., Ran], lab: tuple[Path, Path]
) -> None:
    root, victim = lab
    journal = {"env": str(root / ".venv"), "new": str(victim), "old": "../victim", "token": ""}
    (root / ".corral-recreate.json").write_text(json.dumps(journal), encoding="utf-8")
    before = tree_digest(victim)
    for argv in (["run", "true"], ["recreate", "--resume"], ["doctor"], ["recreate", "--yes"]):
        _clean(corral(*argv, cwd=root))
    assert tree_digest(victim) == before
    assert (root / ".corral-recreate.json").is_file()


def test_a_shipped_creating_marker_deletes_nothing(corral: Callable[..., Ran], lab: tuple[Path, Path]) -> None:
    root, victim = lab
    data = root / "data"
    data.mkdir()
    (data / "measurements.csv").write_text("1,2,3\n", encoding="utf-8")
    for marker in (".data.corral-creating", ".venv.corral-creating"):
        (root / marker).write_text(json.dumps({"env": str(victim), "pid": 1}), encoding="utf-8")
    before, data_before = tree_digest(victim), tree_digest(data)
    for argv in (["sync"], ["run", "true"], ["add", "beta"]):
        result = corral(*argv, cwd=root)
        _clean(result)
        assert result.exit_code == 0, (argv, result.stderr)
    assert tree_digest(victim) == before and tree_digest(data) == data_before


def test_temporary_names_in_a_shipped_env_are_never_written_through(
    corral: Callable[..., Ran], lab: tuple[Path, Path]
) -> None:
    """Links planted where corral writes temporaries (stamp, candidate lock, new files) are never followed."""
    root, victim = lab
    assert corral("sync", cwd=root).exit_code == 0
    notes = victim / "notes.txt"
    (root / ".venv" / ".corral-sync.json.tmp").symlink_to(notes)
    (root / ".pylock.toml.corral-candidate.tmp").symlink_to(notes)
    (root / "pyproject.toml.corral-new").symlink_to(notes)
    (root / "pylock.toml.corral-new").symlink_to(notes)
    before = tree_digest(victim)
    for argv in (["add", "beta"], ["remove", "beta"], ["sync"]):
        result = corral(*argv, cwd=root)
        _clean(result)
        assert result.exit_code == 0, (argv, result.stderr)
    assert tree_digest(victim) == before


def test_journals_live_in_corrals_state_folder_and_are_gone_after_success(
    corral: Callable[..., Ran], lab: tuple[Path, Path]
) -> None:
    root, _victim = lab
    assert corral("add", "beta", cwd=root).exit_code == 0
    assert corral("recreate", "--yes", cwd=root).exit_code == 0
    assert not pending_journals()
    assert not [p.name for p in root.iterdir() if "corral" in p.name], sorted(p.name for p in root.iterdir())


def _state_journal(root: Path, kind: str, data: dict[str, object]) -> Path:
    folder = Path(os.environ["CORRAL_HOME"]) / "data" / "journals"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{project_key(root)}.{kind}.json"
    path.write_text(json.dumps({**data, "version": 2, "project": os.path.realpath(root)}), encoding="utf-8")
    return path


def test_even_corrals_own_transaction_journal_may_name_only_files_it_generates(
    corral: Callable[..., Ran], lab: tuple[Path, Path]
) -> None:
    root, victim = lab
    (root / ".evil.corral-new-0123456789abcdef").write_bytes(EVIL)
    entry = {"target": "../victim/notes.txt", "new": ".evil.corral-new-0123456789abcdef", "sha256": _sha(EVIL)}
    _state_journal(root, "txn", {"state": "committed", "token": "0123456789abcdef", "files": [entry]})
    before = tree_digest(victim)
    result = corral("add", "beta", cwd=root)
    _clean(result)
    assert result.exit_code == 1 and "journal" in result.stderr and "damaged" in result.stderr, result.stderr
    assert tree_digest(victim) == before


def test_even_corrals_own_recreate_journal_may_name_only_its_sibling_builds(
    corral: Callable[..., Ran], lab: tuple[Path, Path]
) -> None:
    root, victim = lab
    _state_journal(
        root, "recreate", {"env": str(root / ".venv"), "new": str(victim), "old": str(victim), "token": "abcdef01"}
    )
    before = tree_digest(victim)
    result = corral("recreate", "--resume", cwd=root)
    _clean(result)
    assert result.exit_code == 0 and "damaged recreate journal" in result.stderr + result.stdout
    assert tree_digest(victim) == before
    assert not pending_journals()


def test_a_journal_owned_by_another_user_is_ignored(corral: Callable[..., Ran], lab: tuple[Path, Path]) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    root, victim = lab
    entry = {"target": "pyproject.toml", "new": ".pyproject.toml.corral-new-0123456789abcdef", "sha256": _sha(EVIL)}
    (root / entry["new"]).write_bytes(EVIL)
    journal = _state_journal(root, "txn", {"state": "committed", "token": "0123456789abcdef", "files": [entry]})
    os.chown(journal, 65534, 65534)
    result = corral("sync", cwd=root)
    _clean(result)
    assert result.exit_code == 0, result.stderr
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == PYPROJECT
    assert victim.is_dir()
