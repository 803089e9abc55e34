"""A package project in a folder whose path a requirements line cannot spell (`dir #1`): `corral sync` installs it.

A project's editable install went to uv as `-e <root>` on the command line when the path was not plain, and uv
reads ` #` there as the start of a comment (and ` ;` as a marker): `uv pip install -e failed (exit 2): Expected end
of input or ';', found '#'`, on every sync. `uv sync` builds such a project; corral must too. Real CLI, uv, the
local index and the suite's in-tree build backend.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import write_project

from conftest import pyenv_python

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("folder", ["my project #2", "a ;b"])
def test_a_package_project_in_a_folder_with_a_hash_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object, folder: str
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = write_project(tmp_path / folder, deps=["alpha"], package=True, requires_python=">=3.12")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "corral", "sync"], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )

    assert done.returncode == 0, done.stderr
    probe = "import demo, alpha; print(demo.__file__)"
    imported = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=False
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().startswith(str(root)), "the project itself, editable"
