"""A fresh `corral lock` (pylock.toml removed) takes the last lock's interpreter when nothing that chose it moved.

services.lock_stamp.recorded_python: the stamp's inputs but the lock's bytes, the version's and local packages'.
Real uv against the local index, behind a wrapper that writes down the interpreter each `uv lock` is given; the
interpreter choice (services.python.choose_interpreter) is counted, not replaced.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest
from test_lock_noop import indexed, locked  # the local index, a locked project (.python-version: 3.12)

from conftest import pyenv_python
from corral.infra import uvbin
from corral.services import python as python_service

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed", "locked"]  # fixtures: imported to be used


@pytest.fixture
def pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[object]]:
    """(the file each `uv lock`'s --python is written to, the interpreter choices made)."""
    real = uvbin.uv_binary()
    log = tmp_path / "pythons.log"
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        '#!/bin/sh\nif [ "$1" = "lock" ]; then for a in "$@"; do [ "$prev" = "--python" ] && echo "$a" >> '
        f'"{log}"; prev="$a"; done; fi\nexec "{real}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(wrapper))
    choices: list[object] = []
    choose = python_service.choose_interpreter

    def counted(*args: object, **kwargs: object) -> object:
        choices.append(args)
        return choose(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(python_service, "choose_interpreter", counted)
    return log, choices


def test_a_fresh_lock_takes_the_recorded_interpreter_until_what_chose_it_moves(
    locked: Path, corral: Corral, pythons: tuple[Path, list[object]]
) -> None:
    log, choices = pythons
    lock = locked / "pylock.toml"
    before = lock.read_bytes()
    lock.unlink()
    # when: nothing that chose the interpreter moved
    assert corral("lock", cwd=locked).exit_code == 0
    # then: the same interpreter, not chosen again, the same lock
    assert choices == []
    assert log.read_text(encoding="utf-8").split() == [str(pyenv_python("3.12"))]
    assert lock.read_bytes() == before
    # when: the project asks for another Python
    (locked / ".python-version").write_text(str(pyenv_python("3.11")) + "\n", encoding="utf-8")
    lock.unlink()
    assert corral("lock", cwd=locked).exit_code == 0
    # then: chosen again
    assert len(choices) == 1
    assert log.read_text(encoding="utf-8").split()[-1] == str(pyenv_python("3.11"))


@pytest.mark.parametrize("change", ["pyproject.toml", "an environment variable", "a discovery folder"])
def test_what_chooses_the_interpreter_is_compared(
    locked: Path,
    corral: Corral,
    pythons: tuple[Path, list[object]],
    change: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _, choices = pythons
    if change == "pyproject.toml":
        pyproject = locked / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    elif change == "an environment variable":
        monkeypatch.setenv("UV_CONCURRENT_DOWNLOADS", "3")  # any UV_* variable: the stamp keys on every one
    else:
        folder = tmp_path / "newbin"
        folder.mkdir()
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    (locked / "pylock.toml").unlink()
    assert corral("lock", cwd=locked).exit_code == 0
    assert len(choices) == 1, change
