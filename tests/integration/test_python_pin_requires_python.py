"""`corral python pin` refuses a Python the project's requires-python excludes (as `uv python pin` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import missing

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration


def _requires(project: Path, spec: str) -> None:
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = "{spec}"\n', encoding="utf-8"
    )


def test_a_pin_outside_requires_python_is_refused_and_nothing_written(
    corral: Corral, project: Path, pythons: dict[str, Path]
) -> None:
    if "3.11" not in pythons:
        missing("pyenv 3.11")
    # given: a project for Python 2.7 only, pinned to nothing yet
    _requires(project, "==2.7.*")
    # when
    refused = corral("python", "pin", "3.11", cwd=project)
    # then: one line naming requires-python, exit 2, no .python-version
    assert refused.exit_code == 2, refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, refused.stderr
    assert "outside requires-python '==2.7.*'" in lines[0]
    assert str(project / "pyproject.toml") in lines[0]
    assert not (project / ".python-version").exists()


def test_a_pin_outside_requires_python_keeps_the_pin_there(
    corral: Corral, project: Path, pythons: dict[str, Path]
) -> None:
    if not {"3.11", "3.12"} <= pythons.keys():
        missing("pyenv 3.11 and 3.12")
    _requires(project, ">=3.12")
    assert corral("python", "pin", "3.12", cwd=project).exit_code == 0
    refused = corral("python", "pin", "3.11", cwd=project)
    assert refused.exit_code == 2, refused.stderr
    assert (project / ".python-version").read_text(encoding="utf-8") == "3.12\n"


def test_a_pin_inside_requires_python_is_written(corral: Corral, project: Path, pythons: dict[str, Path]) -> None:
    if "3.11" not in pythons:
        missing("pyenv 3.11")
    _requires(project, ">=3.10,<3.13")
    done = corral("python", "pin", "3.11", cwd=project)
    assert done.exit_code == 0, done.stderr
    assert (project / ".python-version").read_text(encoding="utf-8") == "3.11\n"
