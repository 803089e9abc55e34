"""`uv lock` starts before the caller's own work that runs beside it (`UvRequest.meanwhile`), never after it.

A helper thread started first held the interpreter while the main thread was still spawning uv: uv began 30-60 ms
later on a loaded 2-core machine. The helper's work must also never change the resolution (it only runs earlier).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from test_lock import indexed  # the local index

from corral.resolvers.uv import UvRequest, UvResolver
from support.toml import tomllib

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["alpha"]

[dependency-groups]
test = ["delta<1.2"]
"""


def _children_argv() -> list[list[str]]:
    """The argv of every live child process of this process (Linux: /proc)."""
    found = []
    for task in os.listdir("/proc/self/task"):
        for pid in Path(f"/proc/self/task/{task}/children").read_text(encoding="ascii").split():
            with contextlib.suppress(OSError):  # ended meanwhile
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0"))
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_the_work_beside_uv_lock_starts_once_uv_lock_runs(tmp_path: Path, indexed: str) -> None:
    seen: list[list[list[str]]] = []
    data = tomllib.loads(PYPROJECT)
    request = UvRequest(
        data=data,
        project_root=tmp_path,
        version="0.1.0",
        python=None,
        index_urls=[indexed],
        pins=[],
        group_names=["test"],
        requires_python=">=3.11",
        environ=dict(os.environ),
        meanwhile=lambda: seen.append(_children_argv()),
    )
    result = UvResolver().resolve(request)
    assert len(seen) == 1
    assert any(argv[1:2] == ["lock"] for argv in seen[0]), seen
    names = {p["name"] for _, packages in result.exports for p in packages}
    assert {"alpha", "delta"} <= names
