"""A package installed from a folder, a VCS checkout or a file is recorded as that source, editable as installed.

`corral adopt` recorded `pip install -e ../lib` as `lib>=1.0`: the next lock took whatever the index serves under
that name (another package, or none) and a sync replaced the user's folder. A `-e ../lib` line on `corral init`
or `corral import` lost its editable-ness. Now adopt reads the PEP 610 `direct_url.json` and records the same
source (`[tool.uv.sources]` path, editable as installed; `name @ git+URL@COMMIT`), and `corral add --editable`
and `-e` lines record `editable = true`. Real uv, a real interpreter and git, a sibling built by its own stdlib
backend; nothing comes from an index.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corral.infra.uvbin import uv_binary
from support.indexed import outer_sibling
from support.toml import tomllib

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration


def by_hand(app: Path, *requirement: str) -> None:
    """`uv pip install REQUIREMENT` into the project's env, as a user would, outside corral."""
    cmd = [uv_binary(), "pip", "install", "-q", "--python", str(app / ".venv" / "bin" / "python"), *requirement]
    done = subprocess.run(cmd, cwd=app, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def direct_url(app: Path) -> dict[str, object]:
    (found,) = (app / ".venv").glob("lib/python*/site-packages/sdistonly-1.0.dist-info/direct_url.json")
    data = json.loads(found.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def pyproject(app: Path) -> dict[str, object]:
    data: dict[str, object] = tomllib.loads((app / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_adopt_records_a_folder_installed_editable_by_hand_as_that_folder(mono: Path, corral: Corral) -> None:
    assert corral("sync", cwd=mono).exit_code == 0
    by_hand(mono, "-e", "../sdistonly-1.0")
    adopted = corral("adopt", cwd=mono)
    assert adopted.exit_code == 0, adopted.stderr
    assert "recorded sdistonly (path ../sdistonly-1.0, editable) in project" in adopted.stdout
    data = pyproject(mono)
    assert data["project"]["dependencies"] == ["sdistonly"]  # type: ignore[index]
    assert data["tool"]["uv"]["sources"] == {  # type: ignore[index]
        "sdistonly": {"path": "../sdistonly-1.0", "editable": True}
    }
    lock = (mono / "pylock.toml").read_text(encoding="utf-8")
    assert 'path = "../sdistonly-1.0"\neditable = true' in lock, lock
    assert corral("doctor", cwd=mono).exit_code == 0
    synced = corral("sync", cwd=mono)
    assert synced.exit_code == 0 and "nothing to do" in synced.stdout + synced.stderr, synced.stderr
    assert direct_url(mono)["dir_info"] == {"editable": True}, "the user's editable install kept"


def test_adopt_pins_a_git_install_at_its_commit_and_refuses_a_folder_that_is_gone(mono: Path, corral: Corral) -> None:
    repo = mono.parent / "repo"
    shutil.copytree(mono.parent / "sdistonly-1.0", repo)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run([*git, *step], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
    assert corral("sync", cwd=mono).exit_code == 0
    by_hand(mono, f"sdistonly @ git+{repo.as_uri()}")
    assert corral("adopt", cwd=mono).exit_code == 0
    pinned = f"sdistonly @ git+{repo.as_uri()}@{commit.stdout.strip()}"
    assert pyproject(mono)["project"]["dependencies"] == [pinned]  # type: ignore[index]
    assert corral("doctor", cwd=mono).exit_code == 0

    other = mono.parent / "two"
    other.mkdir()
    shutil.copy(mono / "pyproject.toml", other / "pyproject.toml")
    shutil.copy(mono / ".python-version", other / ".python-version")
    text = (other / "pyproject.toml").read_text(encoding="utf-8").replace(f'"{pinned}"', "")
    (other / "pyproject.toml").write_text(text, encoding="utf-8")
    assert corral("sync", cwd=other).exit_code == 0
    gone = mono.parent / "gone"
    shutil.copytree(mono.parent / "sdistonly-1.0", gone)
    by_hand(other, str(gone))
    shutil.rmtree(gone)
    before = (other / "pyproject.toml").read_bytes(), (other / "pylock.toml").read_bytes()
    refused = corral("adopt", cwd=other)
    assert refused.exit_code != 0
    assert f"sdistonly was installed from {gone}, which no longer exists" in refused.stderr, refused.stderr
    assert ((other / "pyproject.toml").read_bytes(), (other / "pylock.toml").read_bytes()) == before


def test_add_editable_records_and_installs_a_folder_editable_and_refuses_an_index_name(
    mono: Path, corral: Corral
) -> None:
    added = corral("add", "--editable", "../sdistonly-1.0", cwd=mono)
    assert added.exit_code == 0, added.stderr
    assert pyproject(mono)["tool"]["uv"]["sources"] == {  # type: ignore[index]
        "sdistonly": {"path": "../sdistonly-1.0", "editable": True}
    }
    assert direct_url(mono)["dir_info"] == {"editable": True}
    before = (mono / "pyproject.toml").read_bytes(), (mono / "pylock.toml").read_bytes()
    refused = corral("add", "-e", "alpha", cwd=mono)
    assert refused.exit_code == 2
    assert "--editable: 'alpha' is not a local folder" in refused.stderr
    assert ((mono / "pyproject.toml").read_bytes(), (mono / "pylock.toml").read_bytes()) == before


def test_an_editable_line_of_a_requirements_file_stays_editable_on_init(
    mono: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORRAL_SEED", "0")  # the new project's env without pip: nothing from an index
    fresh = mono.parent / "fresh"
    fresh.mkdir()
    shutil.copytree(mono.parent / "sdistonly-1.0", fresh / "vendor" / "lib")
    shutil.copy(mono / ".python-version", fresh / ".python-version")
    (fresh / "requirements.txt").write_text("-e ./vendor/lib  # ours\n", encoding="utf-8")
    made = corral("init", cwd=fresh)
    assert made.exit_code == 0, made.stderr
    assert "not editable" not in made.stdout + made.stderr
    text = (fresh / "pyproject.toml").read_text(encoding="utf-8")
    assert '"sdistonly", # ours' in text, text
    assert 'sdistonly = { path = "vendor/lib", editable = true }' in text, text
    assert corral("sync", cwd=fresh).exit_code == 0
    assert direct_url(fresh)["dir_info"] == {"editable": True}


def test_a_sibling_whose_folder_name_has_a_space_is_locked_and_installed(mono: Path, corral: Corral) -> None:
    # the lock checker refused `path = "../my lib"` (uv locks it), so no such sibling could be added at all
    (mono.parent / "sdistonly-1.0").rename(mono.parent / "my lib")
    added = corral("add", "-e", "../my lib", cwd=mono)
    assert added.exit_code == 0, added.stderr
    assert 'path = "../my lib"' in (mono / "pylock.toml").read_text(encoding="utf-8")
    assert direct_url(mono) == {"url": (mono.parent / "my lib").as_uri(), "dir_info": {"editable": True}}
    shutil.rmtree(mono / ".venv")
    assert corral("sync", cwd=mono).exit_code == 0
    assert direct_url(mono)["url"] == (mono.parent / "my lib").as_uri()
    assert corral("doctor", cwd=mono).exit_code == 0


def test_adopt_records_a_folder_another_folder_needs_and_refuses_a_source_it_cannot_name(
    mono: Path, corral: Corral
) -> None:
    outer_sibling(mono)
    assert corral("sync", cwd=mono).exit_code == 0
    by_hand(mono, "-e", "../outer", "-e", "../sdistonly-1.0")
    adopted = corral("adopt", cwd=mono)
    assert adopted.exit_code == 0, adopted.stderr
    data = pyproject(mono)
    # sdistonly is required by outer, but came from a folder: only a direct requirement can carry its source
    assert sorted(data["project"]["dependencies"]) == ["outer", "sdistonly"]  # type: ignore[index]
    assert data["tool"]["uv"]["sources"] == {  # type: ignore[index]
        "outer": {"path": "../outer", "editable": True},
        "sdistonly": {"path": "../sdistonly-1.0", "editable": True},
    }
    assert corral("doctor", cwd=mono).exit_code == 0

    (site,) = (mono / ".venv").glob("lib/python*/site-packages")
    fake = site / "fake-1.0.dist-info"
    fake.mkdir()
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: fake\nVersion: 1.0\n", encoding="utf-8")
    (fake / "direct_url.json").write_text(
        json.dumps({"url": "git@host.example:o/fake.git", "vcs_info": {"vcs": "git", "commit_id": "0" * 40}}),
        encoding="utf-8",
    )
    (mono / "pylock.toml").unlink()
    before = (mono / "pyproject.toml").read_bytes()
    refused = corral("adopt", cwd=mono)
    assert refused.exit_code != 0
    assert "cannot adopt fake: it did not come from an index, and its VCS URL has no scheme" in refused.stderr
    assert (mono / "pyproject.toml").read_bytes() == before
    assert not (mono / "pylock.toml").exists(), "the first lock is written with the record, or not at all"
