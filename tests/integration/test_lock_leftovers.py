"""A `corral lock` killed while uv resolves leaves its temporary project; the next lock removes it (a minute on).

Real corral killed by SIGKILL at its `engine:uv lock` point (CORRAL_FAULT), real uv against the local index, in a
temporary folder of the test's own (TMPDIR).
"""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the local index

from corral.resolvers import uv_workdir
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def test_a_killed_locks_temporary_project_is_removed_by_a_later_lock(tmp_path: Path, indexed: str) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    root = make_project(tmp_path, demo_pyproject("alpha>=1.0", requires_python=">=3.11"))
    environ = subprocess_environ(indexed, TMPDIR=str(shared))
    killed = subprocess.run(
        corral_cmd("lock"), cwd=root, env=environ | {"CORRAL_FAULT": "engine:uv lock"}, capture_output=True, check=False
    )
    assert killed.returncode == -9  # SIGKILL at the point
    (left,) = [p for p in shared.iterdir() if p.name.startswith(uv_workdir.PREFIX)]
    assert (left / uv_workdir.IN_USE).is_file()
    assert {p.name for p in left.iterdir()} <= {"pyproject.toml", "uv.lock", uv_workdir.IN_USE}  # killed before uv
    assert uv_workdir.remove_leftovers(str(shared)) == [], "a minute has not passed"
    assert uv_workdir.remove_leftovers(str(shared), now=time.time() + 61) == [str(left)]
    assert list(shared.iterdir()) == []
    # and a whole lock leaves nothing behind
    done = subprocess.run(corral_cmd("lock"), cwd=root, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert list(shared.iterdir()) == []
