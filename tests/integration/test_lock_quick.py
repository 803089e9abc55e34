"""`cli.lock_quick`: the plain no-op `corral lock` told before argparse, with the full path's verdict and words.

Real uv against the local index locks once; then `lock_quick.answer` is asked as `cli.quick` asks it.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.cli.lock_quick import answer
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    first = corral("lock", cwd=root)
    assert first.exit_code == 0, first.stderr
    return root


def ask(where: Path, argv: list[str]) -> int | None:
    """`lock_quick.answer` as `cli.quick` asks it, started in `where`."""
    with contextlib.chdir(where):
        return answer(argv, os.environ)


def test_the_plain_no_op_lock_says_what_the_full_path_says(
    locked: Path, corral: Corral, capsys: pytest.CaptureFixture[str]
) -> None:
    full = corral("lock", cwd=locked)
    assert full.exit_code == 0 and full.stderr.startswith("unchanged: ")
    capsys.readouterr()
    assert ask(locked, ["lock"]) == 0
    quick = capsys.readouterr()
    assert quick.out == ""
    # the same line but for the seconds it took
    assert quick.err.rsplit(", ", 1)[0] == full.stderr.rsplit(", ", 1)[0]
    assert quick.err.endswith(" s)\n") and quick.err.count("\n") == 1
    assert ask(locked, ["lock", "-q"]) == 0
    assert ask(locked, ["lock", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv", [["lock", "--check"], ["lock", "-U"], ["lock", "--json"], ["lock", "-v"], ["-q", "lock"], ["sync"]]
)
def test_any_other_command_line_takes_the_full_path(locked: Path, argv: list[str]) -> None:
    assert ask(locked, argv) is None


def test_a_changed_input_or_no_stamp_takes_the_full_path(locked: Path, tmp_path: Path) -> None:
    assert ask(locked, ["lock", "-q"]) == 0
    pyproject = locked / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("alpha>=1.0", "alpha>=1.1"), encoding="utf-8")
    assert ask(locked, ["lock", "-q"]) is None
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    assert ask(elsewhere, ["lock"]) is None  # never locked: no stamp
