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


@pytest.mark.xfail(
    strict=True,
    reason="r10 H7 F2: the lock head start runs the recorded argv, whose --index-url is the old index's",
)
def test_a_lock_after_the_index_moved_asks_the_old_index_nothing(tmp_path: Path, local_index: LocalIndex) -> None:
    # given: a project locked against index A (the head start's record written), uv's cache empty for each lock
    old, new = _Counted(), _Counted()
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    log = tmp_path / "checkpoints.log"  # infra.faults' checkpoints: each `uv lock` started, a head start adopted
    base = isolated_environ() | {"CORRAL_HOME": os.environ["CORRAL_HOME"]}
    with serve_index(*local_index.dirs) as index_a, serve_index(*local_index.dirs) as index_b:
        _counting(index_a, old)
        _counting(index_b, new)

        def lock(index: LocalIndex, cache: str) -> None:
            environ = base | {"CORRAL_INDEX_URL": index.simple_url, "UV_CACHE_DIR": str(tmp_path / cache)}
            environ["CORRAL_FAULT_LOG"] = str(log)
            log.write_text("", encoding="utf-8")
            done = subprocess.run(
                [*corral_exe(), "lock"], cwd=root, env=environ, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr

        lock(index_a, "uv-cache-1")
        lock(index_a, "uv-cache-2")  # another uv cache: no no-op; the plan is recorded from this very pylock.toml
        asked_before = old.requests
        # when: the user moves corral to index B; pyproject.toml and pylock.toml unchanged
        lock(index_b, "uv-cache-3")
    # then: B answered the lock; no `uv lock` was started for A (a head start is either adopted or never begun),
    # so A was asked nothing more (how many requests reach A before the full path kills that uv depends on timing)
    steps = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    assert new.requests > 0
    assert "lock-headstart:adopted" in steps or steps.count("engine:uv lock") == 1, steps
    assert old.requests == asked_before
