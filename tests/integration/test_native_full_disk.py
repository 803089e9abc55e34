"""A full disk while the native creator lays out an env: one error naming what could not be written, and the fix.

A real full disk (a small tmpfs, filled up; root and mount(8) needed, skipped otherwise). `os.write` names no file,
so the error said only "No space left on device"; `os.symlink` names the link's target (the base interpreter) first.
Now it names the file or link of the env that could not be written and the file system to free space on, and the
half-made env is gone.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from support.full_disk import fill, tmpfs

pytestmark = pytest.mark.integration


def _one_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


def _venv(corral: Corral, env: Path) -> tuple[int, str]:
    done = corral("venv", str(env), "--python", str(pyenv_python("3.12")), "--no-seed", "--creator", "native")
    return done.exit_code, done.stderr


def test_a_file_the_disk_has_no_room_for_is_named_with_its_disk(corral: Corral, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        fill(disk, leave=4096)  # room for the first activation script, not for the rest
        env = disk / "env"
        code, stderr = _venv(corral, env)
        error = _one_error(stderr)
        assert code == 1, stderr
        assert "No space left on device" in error
        assert f"{env}{os.sep}" in error.split(": No space")[0], "the file of the env that could not be written"
        assert f"free some space on {disk} and run the command again" in error
        assert not env.exists(), "the half-made env is removed"


def test_a_link_the_disk_has_no_room_for_is_named_not_its_target(corral: Corral, tmp_path: Path) -> None:
    # given: a file system with inodes for the env's folders only (the same layout made elsewhere, counted)
    reference = tmp_path / "reference"
    code, stderr = _venv(corral, reference)
    assert code == 0, stderr
    folders = sum(len(dirs) for _, dirs, _ in os.walk(reference)) + 1
    with tmpfs(tmp_path / "disk", "1m") as disk:
        subprocess.run(["mount", "-o", f"remount,nr_inodes={folders + 1}", str(disk)], check=True)
        env = disk / "env"
        # when
        code, stderr = _venv(corral, env)
        # then: the link is named (its error named the base interpreter first)
        error = _one_error(stderr)
        assert code == 1, stderr
        assert "No space left on device" in error
        named = error.split(": No space")[0].removeprefix("error: ")
        assert named in {str(env / "bin" / name) for name in ("python", "python3", "python3.12")}, error
        assert str(pyenv_python("3.12")) not in error
        assert not env.exists(), "the half-made env is removed"
