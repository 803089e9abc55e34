"""A lock's head start asks no index the user's settings no longer name.

`cli.lock_quick` starts the recorded `uv lock` before the command line is parsed whenever pyproject.toml and
pylock.toml are as the last lock left them, and the recorded argv holds that lock's `--index-url`. When the user
then moves corral to another index (`CORRAL_INDEX_URL`, the config file: a mirror given up, a host no longer
trusted, a name that expired), the next `corral lock` is no no-op, so the recorded plan is started: uv asks the old
index for the project's dependency names before the full path discards it, and builds what only an sdist there
offers: by hand, an sdist-only package on the old index had its build backend run (`get_requires_for_build_wheel`)
during a lock against the new index, which serves a wheel. Real corral, real uv, two local indexes
that count the requests they get.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import corral_exe, pyenv_python
from support.fixtures import isolated_environ
from support.index import IndexHandler, serve_index
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

RECORDS = "lock-headstarts"  # resolvers.uv_headstart.RECORDS_FOLDER, in corral's cache


class _Counted:
    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()


def _counting(index: LocalIndex, counter: _Counted) -> None:
    class Counting(IndexHandler):
        def route(self, *, send_body: bool) -> None:
            with counter.lock:
                counter.requests += 1
            super().route(send_body=send_body)

    index.server.RequestHandlerClass = Counting


def _steps(root: Path, environ: dict[str, str], log: Path, argv: tuple[str, ...] = ("lock",)) -> list[str]:
    """`corral ARGV` in `root` (it must succeed); the checkpoints it passed (infra.faults')."""
    environ = environ | {"CORRAL_FAULT_LOG": str(log)}
    log.write_text("", encoding="utf-8")
    done = subprocess.run([*corral_exe(), *argv], cwd=root, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def _uv_locks_begun(root: Path, environ: dict[str, str], log: Path, argv: tuple[str, ...] = ("lock",)) -> int:
    """`corral ARGV` in `root` (it must succeed); how many `uv lock` it began."""
    steps = _steps(root, environ, log, argv)
    return 0 if "lock-headstart:adopted" in steps else steps.count("engine:uv lock")


def _old_plans_begun(tmp_path: Path, root: Path, before: dict[str, str], after: dict[str, str]) -> int:
    """How many more `uv lock` a lock with the settings `after` begins when the head start's record holds the plan
    of two locks with `before` than when there is no record (the control): 0 when no head start of the old plan
    ran. Each lock has a new uv cache (no lock is a no-op); both locks with `after` start from the same pylock.toml.
    """
    home, log = Path(os.environ["CORRAL_HOME"]), tmp_path / "checkpoints.log"
    _uv_locks_begun(root, before | {"UV_CACHE_DIR": str(tmp_path / "uv-cache-1")}, log)
    _uv_locks_begun(root, before | {"UV_CACHE_DIR": str(tmp_path / "uv-cache-2")}, log)  # planned from this lock
    lock = (root / "pylock.toml").read_bytes()
    records = {path: path.read_bytes() for path in (home / "cache" / RECORDS).iterdir()}
    assert records
    for path in records:
        path.unlink()
    control = _uv_locks_begun(root, after | {"UV_CACHE_DIR": str(tmp_path / "uv-cache-3")}, log)
    (root / "pylock.toml").write_bytes(lock)
    for path, data in records.items():
        path.write_bytes(data)
    return _uv_locks_begun(root, after | {"UV_CACHE_DIR": str(tmp_path / "uv-cache-4")}, log) - control


def _project(tmp_path: Path, pin: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    (root / ".python-version").write_text(pin + "\n", encoding="utf-8")
    return root


def test_a_lock_after_the_index_moved_begins_no_uv_for_the_old_index(tmp_path: Path, local_index: LocalIndex) -> None:
    # given: a project locked against index A (the head start's record written)
    old, new = _Counted(), _Counted()
    root = _project(tmp_path, str(pyenv_python("3.12")))
    base = isolated_environ() | {"CORRAL_HOME": os.environ["CORRAL_HOME"]}
    with serve_index(*local_index.dirs) as index_a, serve_index(*local_index.dirs) as index_b:
        _counting(index_a, old)
        _counting(index_b, new)
        # when: the user moves corral to index B; pyproject.toml and pylock.toml as A's lock left them
        extra = _old_plans_begun(
            tmp_path,
            root,
            base | {"CORRAL_INDEX_URL": index_a.simple_url},
            base | {"CORRAL_INDEX_URL": index_b.simple_url},
        )
    # then: B answered; no `uv lock` of the old plan was begun (how many requests it gets to send to A before the full
    # path kills it depends on timing: by hand, A was asked, and an sdist only A offers had its build backend run)
    assert new.requests > 0
    assert extra == 0


def test_a_lock_after_the_interpreter_setting_is_dropped_starts_the_old_interpreter_not(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    # given: a project locked with CORRAL_PYTHON naming a wrapper interpreter (outside it) that notes each start
    started = tmp_path / "started.log"
    wrapper = tmp_path / "elsewhere" / "bin" / "python3"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {started}\nexec {pyenv_python("3.12")} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    root = _project(tmp_path, "3.12")
    base = isolated_environ() | {"CORRAL_HOME": os.environ["CORRAL_HOME"], "CORRAL_INDEX_URL": local_index.simple_url}
    # when: the user drops the setting (the project's .python-version chooses again); nothing else changed
    extra = _old_plans_begun(tmp_path, root, base | {"CORRAL_PYTHON": str(wrapper)}, base)
    # then: no `uv lock` of the old plan was begun, which starts the wrapper at once (to ask what it is)
    assert extra == 0


def test_an_add_after_the_index_moved_begins_no_uv_for_the_old_index(tmp_path: Path, local_index: LocalIndex) -> None:
    # given: a project locked against index A (the upcoming plan, what `corral add` begins from, recorded); one uv
    # cache throughout (its folder is one of the settings the record compares)
    old, new = _Counted(), _Counted()
    root = _project(tmp_path, str(pyenv_python("3.12")))
    base = isolated_environ() | {"CORRAL_HOME": os.environ["CORRAL_HOME"], "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    home, log = Path(os.environ["CORRAL_HOME"]), tmp_path / "checkpoints.log"
    add = ("add", "beta")
    with serve_index(*local_index.dirs) as index_a, serve_index(*local_index.dirs) as index_b:
        _counting(index_a, old)
        _counting(index_b, new)
        before = base | {"CORRAL_INDEX_URL": index_a.simple_url}
        after = base | {"CORRAL_INDEX_URL": index_b.simple_url}
        _uv_locks_begun(root, before, log)
        _uv_locks_begun(root, before, log)
        files = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
        records = {path: path.read_bytes() for path in (home / "cache" / RECORDS).iterdir()}
        assert len(records) == 2  # the plain lock's plan and the upcoming one

        def restore() -> None:
            for name, data in files.items():
                (root / name).write_bytes(data)
            for path, data in records.items():
                path.write_bytes(data)

        # the control of the control: with the same settings, the add takes the head start
        assert "lock-headstart:adopted" in _steps(root, before, log, add)
        restore()
        for path in records:
            path.unlink()
        # when: the user moves corral to index B and adds a package (control: the same add without a record)
        control = _uv_locks_begun(root, after, log, add)
        restore()
        asked_a = old.requests
        extra = _uv_locks_begun(root, after, log, add) - control
    # then: B answered, A was asked nothing more, and no `uv lock` of the old plan was begun
    assert new.requests > 0
    assert extra == 0
    assert old.requests == asked_a
