"""A lock's head start runs the recorded `uv lock` only while everything that chose its index and interpreter holds.

`cli.lock_quick` begins the recorded plan when pyproject.toml, pylock.toml and the settings digest
(`resolvers.uv_headstart.settings_digest`: CORRAL_/UV_/PIP_/PYENV_/XDG_ variables, PATH, HOME, the config file's
and every `.python-version`'s stat) are as recorded. UV_CACHE_DIR is one of those variables: a lock run with
another uv cache than the recorded one never begins a head start at all, so each check here keeps one cache and
first shows the head start is taken when nothing changed (the `adopted` mark) before showing that a change begins
none. Real corral, real uv, two local indexes, wrapper interpreters that note each start.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import corral_exe, pyenv_python
from support.fixtures import isolated_environ
from support.index import serve_index
from support.projects import demo_pyproject

pytestmark = pytest.mark.integration

RECORDS = "lock-headstarts"  # resolvers.uv_headstart.RECORDS_FOLDER, in corral's cache
ADOPTED = "lock-headstart:adopted"


def _lock(root: Path, environ: dict[str, str], log: Path) -> list[str]:
    """A plain `corral lock` of `root` from no pylock.toml (never a no-op); the checkpoints it passed."""
    (root / "pylock.toml").unlink(missing_ok=True)
    log.write_text("", encoding="utf-8")
    argv = [*corral_exe(), "lock"]
    done = subprocess.run(
        argv, cwd=root, env=environ | {"CORRAL_FAULT_LOG": str(log)}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def _records(home: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in (home / "cache" / RECORDS).iterdir()}


def _put_back(home: Path, records: dict[Path, bytes]) -> None:
    for path in (home / "cache" / RECORDS).iterdir():
        path.unlink()
    for path, data in records.items():
        path.write_bytes(data)


def _uv_locks_of_old_plan(root: Path, before: dict[str, str], after: dict[str, str], change: Callable[[], None]) -> int:
    """How many more `uv lock`s a lock under `after` (once `change` was made) begins from a record made under
    `before` than with no record. The record is first shown to be taken under `before` itself.
    """
    home, log = Path(before["CORRAL_HOME"]), root.parent / "checkpoints.log"
    _lock(root, before, log)
    _lock(root, before, log)
    assert ADOPTED in _lock(root, before, log)  # the positive control: the same settings begin the recorded plan
    records = _records(home)
    change()
    _put_back(home, {})
    control = _lock(root, after, log).count("engine:uv lock")
    _put_back(home, records)
    steps = _lock(root, after, log)
    assert ADOPTED not in steps
    return steps.count("engine:uv lock") - control


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A project in a folder of its own (a `.python-version` may go above it)."""
    root = tmp_path / "work" / "proj"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    return root


def _base(tmp_path: Path) -> dict[str, str]:
    return isolated_environ() | {"CORRAL_HOME": os.environ["CORRAL_HOME"], "UV_CACHE_DIR": str(tmp_path / "uv-cache")}


def test_a_lock_after_the_index_moved_begins_no_uv_of_the_old_plan(
    lab: Path, tmp_path: Path, local_index: object
) -> None:
    with serve_index(*local_index.dirs) as moved:  # type: ignore[attr-defined]
        before = _base(tmp_path) | {"CORRAL_INDEX_URL": local_index.simple_url}  # type: ignore[attr-defined]
        after = before | {"CORRAL_INDEX_URL": moved.simple_url}
        assert _uv_locks_of_old_plan(lab, before, after, lambda: None) == 0


def test_a_lock_after_the_config_files_index_moved_begins_no_uv_of_the_old_plan(
    lab: Path, tmp_path: Path, local_index: object
) -> None:
    config = Path(os.environ["CORRAL_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'index-url = "{local_index.simple_url}"\n', encoding="utf-8")  # type: ignore[attr-defined]
    with serve_index(*local_index.dirs) as moved:  # type: ignore[attr-defined]
        environ = _base(tmp_path)

        def move() -> None:
            config.write_text(f'index-url = "{moved.simple_url}"\n', encoding="utf-8")

        assert _uv_locks_of_old_plan(lab, environ, environ, move) == 0


def test_a_python_version_written_above_the_project_begins_no_uv_of_the_old_plan(
    lab: Path, tmp_path: Path, local_index: object
) -> None:
    environ = _base(tmp_path) | {"CORRAL_INDEX_URL": local_index.simple_url}  # type: ignore[attr-defined]

    def pin_above() -> None:
        (lab.parent / ".python-version").write_text("3.12\n", encoding="utf-8")

    assert _uv_locks_of_old_plan(lab, environ, environ, pin_above) == 0


def _wrapper(pyenv: Path, version: str, started: Path) -> None:
    """`<pyenv>/versions/<version>.0/bin/python3`: notes `version` in `started`, then runs pyenv's real one."""
    exe = pyenv / "versions" / f"{version}.0" / "bin" / "python3"
    exe.parent.mkdir(parents=True)
    exe.write_text(
        f'#!/bin/sh\necho "{version} $*" >> {started}\nexec {pyenv_python(version)} "$@"\n', encoding="utf-8"
    )
    exe.chmod(0o755)


@pytest.mark.xfail(
    strict=True, reason="r10b: a newly installed interpreter changes no settings digest: the old one is started first"
)
def test_a_lock_after_a_newer_python_was_installed_starts_the_old_one_not(
    lab: Path, tmp_path: Path, local_index: object
) -> None:
    # given: a project whose requires-python (>=3.12) picks the newest interpreter found: a 3.12 under PYENV_ROOT
    pyenv, started = tmp_path / "pyenv", tmp_path / "started.log"
    _wrapper(pyenv, "3.12", started)
    environ = _base(tmp_path) | {
        "CORRAL_INDEX_URL": local_index.simple_url,  # type: ignore[attr-defined]
        "PYENV_ROOT": str(pyenv),
        "PATH": "/usr/bin:/bin",
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "no-uv-pythons"),
    }
    home, log = Path(environ["CORRAL_HOME"]), tmp_path / "checkpoints.log"
    _lock(lab, environ, log)
    assert ADOPTED in _lock(lab, environ, log)
    records = _records(home)
    # when: the user installs 3.13 (no setting changed) and locks; control: the same lock without the record
    _wrapper(pyenv, "3.13", started)
    _put_back(home, {})
    started.write_text("", encoding="utf-8")
    _lock(lab, environ, log)
    control = started.read_text(encoding="utf-8").count("3.12 ")
    _put_back(home, records)
    started.write_text("", encoding="utf-8")
    _lock(lab, environ, log)
    # then: the lock used 3.13, and 3.12 was started no more often than without the record
    assert started.read_text(encoding="utf-8").count("3.13 ") > 0
    assert started.read_text(encoding="utf-8").count("3.12 ") == control
