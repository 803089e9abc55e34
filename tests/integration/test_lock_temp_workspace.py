"""The temporary project `corral lock` has uv resolve is its own workspace root: a pyproject.toml above it (in a
shared temporary folder, anyone's) that names it a workspace member lends it nothing.

Real uv against the local index; the planted workspace points at an index that does not exist.
"""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING

import pytest
from test_lock_noop import PYPROJECT, alpha

from conftest import Corral, pyenv_python

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def test_a_workspace_planted_above_the_temporary_project_is_not_read(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object
) -> None:
    # given: a temporary folder whose pyproject.toml claims every folder in it as a member, with its own index
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    (shared / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["*"]\n\n[tool.uv]\nconstraint-dependencies = ["alpha<1.1"]\n'
        'index-url = "http://127.0.0.1:9/planted"\n',
        encoding="utf-8",
    )
    (shared / ".python-version").write_text("3.11\n", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    # when
    result = corral("lock", cwd=root)
    # then: resolved from the project's own declarations and index alone
    assert result.exit_code == 0, result.stderr
    assert alpha(root) == "2.0"
    assert not any(p.name.startswith("corral-lock-") for p in shared.iterdir()), "the temporary project is gone"
