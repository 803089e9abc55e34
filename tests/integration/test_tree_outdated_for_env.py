"""`corral tree` and `corral outdated` judge the lock entries the env holds: one per name, markers for its Python.

A universal lock forks on Requires-Python (`forky 1.0` below 3.12 with an `exgroup` child below 3.11, `forky 2.0`
from 3.12): an env on 3.12 holds forky 2.0 and no exgroup, and that is what both commands must show.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from support.index import serve_index
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration

FIRST = (
    Package("forky", "1.0", requires=('exgroup; python_version < "3.11"',)),
    Package("forky", "2.0", requires=('exgroup; python_version < "3.11"',), requires_python=">=3.12"),
    Package("exgroup", "1.0"),
    Package("mdit", "1.0"),
    Package("mdit", "2.0", requires_python=">=3.12"),
    Package("plain", "1.0", requires=("mdit",)),
)
LATER = (  # published after the lock
    Package("mdit", "3.0", requires_python=">=3.12"),
    Package("plain", "2.0", requires=("mdit",)),
    Package("forky", "2.1", requires_python=">=3.14"),  # no release for the env's 3.12
)


def _serve(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[str]:
    with serve_index(folder) as index:
        monkeypatch.setenv("UV_INDEX_URL", index.simple_url)
        monkeypatch.setenv("PIP_INDEX_URL", index.simple_url)
        yield index.simple_url


@pytest.fixture
def synced(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project for >=3.10 locked (forked) and synced on 3.12; the index then gains newer releases."""
    monkeypatch.setenv("CORRAL_SEED", "0")
    folder = tmp_path / "pkgs"
    build_packages(folder, FIRST)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "forked-demo"\nversion = "0.3"\nrequires-python = ">=3.10"\n'
        'dependencies = ["forky", "plain"]\n',
        encoding="utf-8",
    )
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    serving = _serve(monkeypatch, folder)
    next(serving)
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    next(serving, None)  # the first index stops
    lock = (root / "pylock.toml").read_text(encoding="utf-8")
    assert 'name = "forky"\nversion = "1.0"' in lock and 'name = "forky"\nversion = "2.0"' in lock, lock
    assert 'name = "mdit"\nversion = "1.0"' in lock and 'name = "mdit"\nversion = "2.0"' in lock, lock
    assert 'name = "exgroup"' in lock, lock
    build_packages(folder, LATER)
    return root


def _installed(root: Path) -> dict[str, str]:
    found = {}
    for meta in root.glob(".venv/lib/python3.12/site-packages/*.dist-info"):
        name, version = meta.name[: -len(".dist-info")].rsplit("-", 1)
        found[name.replace("_", "-").lower()] = version
    return found


def test_tree_shows_what_the_env_holds(synced: Path, corral: Corral) -> None:
    # when
    tree = corral("tree", cwd=synced)
    # then: forky 2.0 without the exgroup child (a <3.11 marker), mdit 2.0, as installed
    assert tree.exit_code == 0, tree.stderr
    assert tree.stdout.startswith("forked-demo 0.3\n├── forky 2.0\n└── plain 1.0\n    └── mdit 2.0\n"), tree.stdout
    assert "exgroup" not in tree.stdout
    installed = _installed(synced)
    assert (installed["forky"], installed["mdit"], installed["plain"]) == ("2.0", "2.0", "1.0")
    assert "exgroup" not in installed
    data = json.loads(corral("tree", "--json", cwd=synced).stdout)["data"]
    assert data[0]["section"] == "project"
    forky = data[0]["roots"][0]
    assert (forky["name"], forky["version"], forky["children"]) == ("forky", "2.0", [])


def test_tree_without_an_env_judges_the_interpreter_it_would_use(synced: Path, corral: Corral) -> None:
    import shutil

    shutil.rmtree(synced / ".venv")
    tree = corral("tree", cwd=synced)
    assert tree.exit_code == 0, tree.stderr
    assert tree.stdout.startswith("forked-demo 0.3\n├── forky 2.0\n└── plain 1.0\n    └── mdit 2.0\n"), tree.stdout


def test_outdated_judges_the_entries_of_the_env_once_each(
    synced: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the index with the newer releases
    serving = _serve(monkeypatch, synced.parent / "pkgs")
    next(serving)
    try:
        done = corral("outdated", "--json", cwd=synced)
    finally:
        next(serving, None)
    # then: mdit once (its 2.0, not the <3.12 pin 1.0), plain; forky 2.0 is the newest 3.12 can take
    assert done.exit_code == 0, done.stderr
    rows = [(r["name"], r["locked"], r["latest"]) for r in json.loads(done.stdout)["data"]]
    assert rows == [("mdit", "2.0", "3.0"), ("plain", "1.0", "2.0")]


def test_outdated_under_uv_offline_refuses_without_asking(
    synced: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: no index listening (asking it would fail with "cannot ask the index")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("UV_OFFLINE", "1")
    # when
    done = corral("outdated", cwd=synced)
    # then: one line naming UV_OFFLINE, exit 2
    assert done.exit_code == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "UV_OFFLINE" in lines[0], done.stderr
    assert "cannot ask the index" not in done.stderr
