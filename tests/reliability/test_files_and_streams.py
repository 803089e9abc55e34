"""Files corral writes get the mode a plain open() would give them; a closed stdout ends a command quietly; a
project folder whose name is not UTF-8 gets one clear error before anything is written.

Each test drives the real CLI in a subprocess (umask and a closed pipe are properties of a process).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ, tree_digest

pytestmark = pytest.mark.integration

PYPROJECT = demo_pyproject("alpha")
EXIT_BROKEN_PIPE = 141


def _run(*args: str, cwd: Path, index: str | None = None, umask: int = -1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        corral_cmd(*args),
        cwd=cwd,
        env=subprocess_environ(index, CORRAL_SEED="false"),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        umask=umask,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002], ids=["022", "027", "002"])
def test_new_files_get_0666_less_the_umask(tmp_path: Path, local_index: object, umask: int) -> None:
    # given
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    # when: every writer of a project file, and export -o
    steps = [
        ("init", "--python", str(pyenv_python("3.12")), str(root)),
        ("python", "pin", "3.12"),
        ("lock",),
        ("export", "-o", "requirements.txt"),
    ]
    for step in steps:
        done = _run(*step, cwd=tmp_path if step[0] == "init" else root, index=url, umask=umask)
        assert done.returncode == 0, f"{step}: {done.stderr}"
    # then
    expected = 0o666 & ~umask
    for name in ("pyproject.toml", ".python-version", "pylock.toml", "requirements.txt"):
        assert _mode(root / name) == expected, f"{name}: {_mode(root / name):o}, expected {expected:o}"


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, local_index: object) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    (root / ".python-version").chmod(0o640)
    (root / "pylock.toml").write_text("", encoding="utf-8")
    (root / "pylock.toml").chmod(0o664)
    assert _run("lock", cwd=root, index=url, umask=0o077).returncode == 0
    assert _run("python", "pin", "3.12", cwd=root, umask=0o077).returncode == 0
    assert _mode(root / "pylock.toml") == 0o664
    assert _mode(root / ".python-version") == 0o640


@pytest.mark.parametrize(
    "argv", [["info"], ["config"], ["export"], ["envs", "list"]], ids=["info", "config", "export", "envs-list"]
)
def test_a_reader_that_left_ends_the_command_quietly(tmp_path: Path, local_index: object, argv: list[str]) -> None:
    # given: a project with an env, and a pipe whose reader is already gone (`corral info | head -0`)
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    assert _run("sync", cwd=root, index=url).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    # when
    try:
        done = subprocess.run(
            corral_cmd(*argv),
            cwd=root,
            env=subprocess_environ(url),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=300,
        )
    finally:
        os.close(write_end)
    # then
    assert done.stderr == ""
    assert done.returncode == EXIT_BROKEN_PIPE


def _not_utf8(parent: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(parent) + b"/" + name))


@pytest.mark.parametrize("how", ["cwd", "argument", "existing-project"])
def test_a_folder_name_that_is_not_utf8_gets_one_error_and_nothing_written(tmp_path: Path, how: str) -> None:
    # given
    folder = _not_utf8(tmp_path, b"caf\xe9-project")
    if how != "argument":
        folder.mkdir()
    if how == "existing-project":
        (folder / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    before = tree_digest(tmp_path)
    # when
    if how == "argument":
        done = _run("init", "--python", str(pyenv_python("3.12")), os.fsdecode(folder), cwd=tmp_path)
    elif how == "cwd":
        done = _run("init", "--python", str(pyenv_python("3.12")), cwd=folder)
    else:
        done = _run("sync", cwd=folder)
    # then
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2, done.stderr
    assert len(errors) == 1, done.stderr
    assert "not valid UTF-8" in errors[0]
    assert "caf\\xe9-project" in errors[0]
    assert "Traceback" not in done.stderr
    assert tree_digest(tmp_path) == before
