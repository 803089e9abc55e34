"""A build backend that cannot state a dynamic version is quoted from what it wrote to stderr, not its progress.

setuptools writes its progress to stdout ("writing top-level names to ...") after the error on stderr: in a pluggy
sdist whose folder git calls "of dubious ownership", `corral lock` said only that progress line. The project's
in-tree backend (tests/data/projects/noisy-backend) does the same in its metadata hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_lock_project import copy_project

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration


def test_the_error_quotes_the_backends_stderr(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")  # the backend needs nothing
    root = copy_project("noisy-backend", tmp_path)
    result = corral("lock", cwd=root)
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "its build backend noisy_backend: fatal: the real cause, on stderr)" in errors[0]
    assert "writing top-level names" not in errors[0]
    assert not (root / "pylock.toml").exists()
