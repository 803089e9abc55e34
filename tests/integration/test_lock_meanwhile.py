"""The work done beside `uv lock` (the imports after it, `UvRequest.meanwhile`; the requirements' check) starts once
uv runs, never before it: a helper thread started first held the interpreter while the main thread was still spawning
uv, which began 30-60 ms later on a loaded 2-core machine. That work never changes the resolution or its errors.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed  # the local index

from corral.resolvers.uv import UvRequest, UvResolver
from support.toml import tomllib

if TYPE_CHECKING:
    from conftest import Corral

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


BROKEN = PYPROJECT.replace('"delta<1.2"]', '"delta <<< 1.2"]')


def test_a_broken_requirement_read_while_uv_resolves_is_the_one_error_and_leaves_nothing(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The requirements are checked while `uv lock` runs: uv is stopped, the error names the entry, nothing stays."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(BROKEN, encoding="utf-8")
    result = corral("lock", cwd=root)
    assert result.exit_code == 2, result.stderr
    assert "[dependency-groups].test" in result.stderr and "pyproject.toml" in result.stderr
    assert not (root / "pylock.toml").exists()
    assert not list(temp.iterdir())  # no temporary project left
    assert not [argv for argv in _children_argv() if argv[1:2] == ["lock"]]  # uv lock ended and waited for
