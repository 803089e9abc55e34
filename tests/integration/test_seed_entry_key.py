"""A recorded seed entry outlives uv fetching pip's page again when the page did not change.

Real uv, real local index (its pages cacheable, as PyPI's), a private uv cache per test. uv stores each response it
fetches as a new file (or rewrites the HTTP policy after the payload, on a 304); what its offline choice of pip reads
is the payload, so the entry is not learned again (`engines.uv_seed_key.page_state`). A page that changed is learned
again: tests/integration/test_seed_entry.py.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_seed_entry import cacheable_index, records, uv_line_seed  # noqa: F401 - a fixture
from test_sync_one_install import fresh_sync, installed, primed, programs

from conftest import pyenv_python
from corral.engines.uv_seed_key import page_state
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


def test_a_page_uv_fetches_again_unchanged_keeps_the_entry(
    tmp_path: Path,
    cacheable_index: LocalIndex,  # noqa: F811
    corral: Callable[..., RunResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a seeded env synced offline once: the entry learned and recorded
    root, log = primed(tmp_path, cacheable_index, corral, monkeypatch)
    assert fresh_sync(root, corral, log, "--offline").exit_code == 0
    learned = records()
    assert learned
    (page,) = Path(os.environ["UV_CACHE_DIR"]).glob("simple-v*/*/*/pip.rkyv")
    before = page.stat()
    # when: another uv command fetches pip's page again from the unchanged index (as a user's `uv venv --seed`)
    scratch = tmp_path / "scratch"
    for cmd in (
        ["venv", str(scratch), "--python", str(pyenv_python("3.12")), "--quiet"],
        ["pip", "install", "--python", str(scratch / "bin" / "python"), "--refresh-package", "pip", "pip", "--quiet"],
    ):
        done = subprocess.run([uv_binary(), *cmd], capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr
    after = page.stat()
    assert (after.st_ino, after.st_mtime_ns) != (before.st_ino, before.st_mtime_ns), "uv stored the page again"
    assert page_state(str(page)).startswith("payload "), "uv's layout of a cached response, read"
    # then: the next new env takes the recorded entry, learns nothing, and holds the pip a seed line installs
    again = fresh_sync(root, corral, log, "--offline")
    assert again.exit_code == 0, again.stderr
    assert programs(log) == ["uv pip install"], programs(log)
    assert records() == learned, "not learned again"
    assert installed(root).get("pip") == "26.3" == uv_line_seed(tmp_path)
