"""A first `corral lock` keeps the versions the project's uv.lock pins (a project moving from uv), round 12.

Before: flask's own uv.lock was ignored and its first corral lock resolved everything anew (70 of 97 versions
newer). Each test writes a real uv.lock (by real `uv lock`, or by hand where the test is what a hostile or damaged
one holds) and runs the real CLI against the local index (alpha 1.0, 1.1 and 2.0).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.infra.uvbin import uv_binary
from support.toml import tomllib

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["alpha"]\n'


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT.replace('"alpha"', '"alpha==1.0"'), encoding="utf-8")
    (project / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    done = subprocess.run(  # the maintainers' uv lock: alpha 1.0, while 2.0 is the newest
        [uv_binary(), "lock", "--index-url", local_index.simple_url],
        cwd=project,
        env={**os.environ, "UV_NO_CONFIG": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")  # the pin loosened since
    return project


def versions(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"]}


def test_a_first_lock_keeps_what_uv_lock_pins_and_says_so(root: Path, corral: Corral) -> None:
    uv_lock = (root / "uv.lock").read_bytes()
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert versions(root) == {"alpha": "1.0"}, "uv lock would keep 1.0: so does corral"
    assert "note: no pylock.toml yet: uv prefers the 1 version uv.lock pins where the requirements allow" in done.stderr
    assert (root / "uv.lock").read_bytes() == uv_lock, "uv.lock is read, never written"
    again = corral("lock", "--upgrade", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert versions(root) == {"alpha": "2.0"}, "--upgrade releases every pin"
    (root / "pylock.toml").unlink()
    (root / "pyproject.toml").write_text(PYPROJECT.replace('"alpha"', '"alpha>=1.1"'), encoding="utf-8")
    assert corral("lock", cwd=root).exit_code == 0
    assert versions(root) == {"alpha": "2.0"}, "a pin the requirements exclude is only a preference"


def test_the_pylock_wins_once_there_is_one(root: Path, corral: Corral) -> None:
    assert corral("lock", "--upgrade", cwd=root).exit_code == 0
    assert versions(root) == {"alpha": "2.0"}
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert versions(root) == {"alpha": "2.0"}
    assert "uv.lock" not in done.stderr


@pytest.mark.parametrize(
    "hostile",
    [
        "not toml [[[",
        b"\xff\xfe not utf-8",
        '[[package]]\nname = "alpha"\nversion = "1.0; rm -rf /"\nsource = { registry = "%s" }\n',
        '[[package]]\nname = "alpha"\nversion = "1.0"\nsource = { registry = "ftp://elsewhere/simple" }\n',
        '[[package]]\nname = "alpha\\nbeta"\nversion = "1.0"\nsource = { registry = "%s" }\n',
        "package = 3\n",
    ],
)
def test_a_damaged_or_hostile_uv_lock_gives_no_pin_and_no_error(
    root: Path, corral: Corral, local_index: LocalIndex, hostile: str | bytes
) -> None:
    data = hostile if isinstance(hostile, bytes) else hostile.replace("%s", local_index.simple_url).encode()
    (root / "uv.lock").write_bytes(data)
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert versions(root) == {"alpha": "2.0"}
    assert "uv.lock" not in done.stderr


def test_a_uv_lock_linked_from_outside_the_project_is_not_read(root: Path, corral: Corral, tmp_path: Path) -> None:
    outside = tmp_path / "outside.lock"
    (root / "uv.lock").rename(outside)
    (root / "uv.lock").symlink_to(outside)
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert versions(root) == {"alpha": "2.0"}


def test_sync_without_a_lock_keeps_them_too_and_says_so(root: Path, corral: Corral) -> None:
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "note: no pylock.toml yet: uv prefers the 1 version uv.lock pins where the requirements allow" in done.stderr
    assert versions(root) == {"alpha": "1.0"}


def test_a_credential_in_a_registry_url_reaches_no_record(root: Path, corral: Corral, local_index: LocalIndex) -> None:
    text = (root / "uv.lock").read_text(encoding="utf-8")
    secret = local_index.simple_url.replace("http://", "http://alice:hunter2secret@")
    (root / "uv.lock").write_text(text.replace(f'registry = "{local_index.simple_url}"', f'registry = "{secret}"'))
    assert "hunter2secret" in (root / "uv.lock").read_text(encoding="utf-8")
    done = corral("lock", "-v", cwd=root)
    assert done.exit_code == 0, done.stderr
    home = Path(os.environ["CORRAL_HOME"])
    for path in [root / "pylock.toml", *(p for p in home.rglob("*") if p.is_file())]:
        assert b"hunter2secret" not in path.read_bytes(), path
    assert "hunter2secret" not in done.stdout + done.stderr
