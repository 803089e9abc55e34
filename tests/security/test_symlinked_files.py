"""A symlinked project file is written through, as editors do, only when its real target is inside the project.

A repository can ship `pyproject.toml -> ~/.bashrc`: a write through that link would overwrite a file of the
user's. A link that stays inside the project (a monorepo's `pyproject.toml -> conf/pyproject.toml`) keeps
working: corral writes the target atomically and the link stays a link.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject
from support.reliability import tree_digest

pytestmark = pytest.mark.integration

PYPROJECT = demo_pyproject("alpha")
Corral = Callable[..., Any]  # the in-process CLI runner (conftest)
Lab = tuple[Path, Path]
USERS_FILE = b"export PATH=$HOME/bin:$PATH  # the user's own shell setup\n"


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)


@pytest.fixture
def lab(tmp_path: Path) -> tuple[Path, Path]:
    """(project, the user's file outside it)."""
    root = tmp_path / "proj"
    (root / "conf").mkdir(parents=True)
    (root / "conf" / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "pyproject.toml").symlink_to(Path("conf") / "pyproject.toml")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    outside = tmp_path / "home" / ".bashrc"
    outside.parent.mkdir()
    outside.write_bytes(USERS_FILE)
    return root, outside


def test_lock_writes_through_a_symlinked_pylock_inside_the_project(corral: Corral, lab: Lab, indexed: None) -> None:
    # given
    root, _ = lab
    (root / "conf" / "pylock.toml").write_text("", encoding="utf-8")
    (root / "pylock.toml").symlink_to(Path("conf") / "pylock.toml")
    # when
    done = corral("lock", cwd=root)
    # then
    assert done.exit_code == 0, done.stderr
    assert os.readlink(root / "pylock.toml") == str(Path("conf") / "pylock.toml")
    assert 'name = "alpha"' in (root / "conf" / "pylock.toml").read_text(encoding="utf-8")
    assert not [p.name for p in (root / "conf").iterdir() if ".corral-" in p.name]


def test_pin_writes_through_a_symlinked_python_version_inside_the_project(corral: Corral, lab: Lab) -> None:
    root, _ = lab
    (root / ".python-version").unlink()
    (root / "conf" / "python-version").write_text("3.11\n", encoding="utf-8")
    (root / ".python-version").symlink_to(Path("conf") / "python-version")
    done = corral("python", "pin", str(pyenv_python("3.12")), cwd=root)
    assert done.exit_code == 0, done.stderr
    assert (root / ".python-version").is_symlink()
    assert (root / "conf" / "python-version").read_text(encoding="utf-8").startswith("3.12")


def test_add_writes_through_a_symlinked_pyproject_inside_the_project(corral: Corral, lab: Lab, indexed: None) -> None:
    root, _ = lab
    done = corral("add", "delta", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert (root / "pyproject.toml").is_symlink()
    assert "delta" in (root / "conf" / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("pylock.toml", ["lock"]),
        (".python-version", ["python", "pin", "3.12"]),
        ("requirements.txt", ["export", "-o", "requirements.txt"]),
    ],
    ids=["lock", "pin", "export-o"],
)
def test_a_link_leading_out_of_the_project_is_refused_with_one_line(
    corral: Corral, lab: Lab, indexed: None, name: str, argv: list[str]
) -> None:
    # given: the repository ships NAME -> the user's ~/.bashrc
    root, outside = lab
    if name == "requirements.txt":
        assert corral("lock", cwd=root).exit_code == 0
    link = root / name
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    before = tree_digest(root)
    # when
    done = corral(*argv, cwd=root)
    # then
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.exit_code == 1, done.stderr
    assert len(errors) == 1, done.stderr
    assert "is a symlink to" in errors[0]
    assert "outside the project" in errors[0]
    assert "Traceback" not in done.stderr
    assert outside.read_bytes() == USERS_FILE
    assert tree_digest(root) == before


def test_a_link_to_a_folder_is_refused(corral: Corral, lab: Lab, indexed: None) -> None:
    root, _ = lab
    (root / "conf" / "dir").mkdir()
    (root / "pylock.toml").symlink_to(Path("conf") / "dir")
    done = corral("lock", cwd=root)
    assert done.exit_code == 1
    assert "not a regular file" in done.stderr
    assert (root / "pylock.toml").is_symlink()
    assert list((root / "conf" / "dir").iterdir()) == []
