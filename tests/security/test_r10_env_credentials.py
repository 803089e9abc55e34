"""uv's named-index credentials (`UV_INDEX_<NAME>_PASSWORD`, `UV_INDEX_<NAME>_USERNAME`) in no file of corral's.

uv documents these variables as the way to give a named index its credentials: a value with no `@`, so
`secretless` (which hashes only values holding one) lets it through. The lock stamp keys on every `UV_*` value
and wrote this one in plain text into `<cache>/lock-stamps/*.json` (mode 0644: any local user who can reach the
cache reads it) and into the quick lock record. Real corral processes, real uv, the suite's local index.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import corral_exe, pyenv_python
from support.fixtures import isolated_environ
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


def _holders(secret: str, folders: list[Path]) -> list[str]:
    return sorted(
        str(path)
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes()
    )


def test_a_named_index_password_in_the_environment_is_written_to_no_file(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    # given: a user whose shell exports uv's credentials for a named index (used by another project), and a project
    secret = f"corral-r10-PASSWORD-{uuid.uuid4().hex}"
    home = Path(os.environ["CORRAL_HOME"])
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    environ = isolated_environ() | {
        "CORRAL_HOME": str(home),
        "CORRAL_INDEX_URL": local_index.simple_url,
        "UV_INDEX_PRIVATE_USERNAME": "deploy",
        "UV_INDEX_PRIVATE_PASSWORD": secret,
    }
    # when: locked, synced, rebuilt and checked
    for args in (["lock"], ["sync"], ["doctor"]):
        done = subprocess.run(
            [*corral_exe(), *args], cwd=root, env=environ, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert secret not in done.stdout + done.stderr
    # then: no file of corral's (its home, the project, the env) holds the password
    assert _holders(secret, [home, root]) == []
