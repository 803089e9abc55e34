"""A project with a local sibling (a monorepo) can move: its records name the sibling relative to the project.

`corral add ../lib` recorded `lib @ file:///absolute/path` and the lock held that absolute path, so a clone at
another place installed the first checkout's sibling (or failed where it did not exist), and its next lock
rewrote the path. Now the pyproject records `lib` with `[tool.uv.sources] lib = { path = "../lib" }` (as uv does)
and the lock `path = "../lib"` (PEP 751: relative to the lock file). Real uv, a real interpreter, a sibling built
by its own (stdlib) backend; the local index serves nothing here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.indexed import outer_sibling
from support.toml import tomllib

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration


def installed_from(app: Path) -> str:
    (found,) = (app / ".venv").glob("lib/python*/site-packages/sdistonly-1.0.dist-info/direct_url.json")
    url = json.loads(found.read_text(encoding="utf-8"))["url"]
    assert isinstance(url, str)
    return url


def test_a_moved_monorepo_installs_its_own_sibling_and_keeps_its_lock(mono: Path, corral: Corral) -> None:
    added = corral("add", "../sdistonly-1.0", cwd=mono)
    assert added.exit_code == 0, added.stderr
    data = tomllib.loads((mono / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["dependencies"] == ["sdistonly"]
    assert data["tool"]["uv"]["sources"] == {"sdistonly": {"path": "../sdistonly-1.0"}}
    lock = (mono / "pylock.toml").read_bytes()
    assert b'path = "../sdistonly-1.0"' in lock and str(mono.parent).encode() not in lock, "nothing absolute"
    assert installed_from(mono) == (mono.parent / "sdistonly-1.0").as_uri()

    moved = mono.parent.parent / "moved"
    shutil.copytree(mono.parent, moved, symlinks=True)
    app = moved / "proj"
    shutil.rmtree(app / ".venv")
    synced = corral("sync", cwd=app)
    assert synced.exit_code == 0, synced.stderr
    assert installed_from(app) == (moved / "sdistonly-1.0").as_uri(), "the clone's own sibling"
    relocked = corral("lock", cwd=app)
    assert relocked.exit_code == 0, relocked.stderr
    assert (app / "pylock.toml").read_bytes() == lock, "the same lock at any place"

    removed = corral("remove", "sdistonly", cwd=app)
    assert removed.exit_code == 0, removed.stderr
    assert "uv" not in tomllib.loads((app / "pyproject.toml").read_text(encoding="utf-8"))["tool"]


def test_a_changed_folder_is_installed_again_and_doctor_says_so_first(mono: Path, corral: Corral) -> None:
    assert corral("add", "../sdistonly-1.0", cwd=mono).exit_code == 0
    shutil.copytree(mono.parent / "sdistonly-1.0", mono.parent / "other")
    pyproject = mono / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"../sdistonly-1.0"', '"../other"'), encoding="utf-8"
    )
    assert corral("lock", cwd=mono).exit_code == 0
    assert b'path = "../other"' in (mono / "pylock.toml").read_bytes()
    doctor = corral("doctor", cwd=mono)
    assert doctor.exit_code != 0 and "drift-version" in doctor.stdout + doctor.stderr, doctor.stdout
    synced = corral("sync", cwd=mono)
    assert synced.exit_code == 0, synced.stderr
    assert "1 changed" in synced.stdout + synced.stderr, "the same version from another folder: installed again"
    assert installed_from(mono) == (mono.parent / "other").as_uri()
    assert corral("doctor", cwd=mono).exit_code == 0


def test_a_sibling_of_a_sibling_a_link_and_an_absolute_url_are_each_recorded_as_named(
    mono: Path, corral: Corral
) -> None:
    inner = mono.parent / "sdistonly-1.0"
    outer_sibling(mono, '[tool.uv.sources]\nsdistonly = { path = "../sdistonly-1.0" }\n\n')
    added = corral("add", "../outer", cwd=mono)
    assert added.exit_code == 0, added.stderr  # uv wrote the inner path relative to its working folder, not the project
    lock = (mono / "pylock.toml").read_text(encoding="utf-8")
    assert 'path = "../outer"' in lock and 'path = "../sdistonly-1.0"' in lock, lock
    assert installed_from(mono) == inner.as_uri()
    assert corral("remove", "outer", cwd=mono).exit_code == 0

    (mono.parent / "linked").symlink_to(inner)
    assert corral("add", "../linked", cwd=mono).exit_code == 0
    data = tomllib.loads((mono / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"]["uv"]["sources"] == {"sdistonly": {"path": "../linked"}}, "the link, as the user named it"
    assert 'path = "../linked"' in (mono / "pylock.toml").read_text(encoding="utf-8")
    assert corral("remove", "sdistonly", cwd=mono).exit_code == 0

    assert corral("add", f"sdistonly @ {inner.as_uri()}", cwd=mono).exit_code == 0
    data = tomllib.loads((mono / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["dependencies"] == [f"sdistonly @ {inner.as_uri()}"], "written as given"
    assert f'path = "{inner}"' in (mono / "pylock.toml").read_text(encoding="utf-8"), "the very folder, absolute"
