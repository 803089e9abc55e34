"""A project's own `[tool.uv]` indexes are the ones its lock is resolved from.

corral gave `uv lock` the public index as `--index-url` whatever the project named, so a project whose
`[[tool.uv.index]]` makes the company index the default was locked from the public index (a dependency-confusion
hole), and an explicit index a `[tool.uv.sources]` entry names was missing from corral's temporary copy ("references
an undeclared index"). Real uv against the local test index; a closed port stands for an index that is down.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from support.toml import tomllib

if TYPE_CHECKING:
    from conftest import Corral
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

DOWN = "http://127.0.0.1:9/simple/"  # nothing listens on the discard port


@pytest.fixture
def uv_reads_projects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """uv reads a project's `[tool.uv]` (the suite's UV_NO_CONFIG stops that), and no user's uv.toml."""
    monkeypatch.delenv("UV_NO_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def project(folder: Path, tool: str, *, dependencies: str = '["alpha"]') -> Path:
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = {dependencies}\n\n'
        f"{tool}[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (folder / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return folder


def indexes(root: Path) -> dict[str, str]:
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p.get("index", "") for p in lock["packages"]}


@pytest.mark.usefixtures("uv_reads_projects")
def test_the_projects_default_index_is_asked_never_pypi(
    tmp_path: Path, corral: Corral, local_index: LocalIndex
) -> None:
    company = f'[[tool.uv.index]]\nname = "company"\nurl = "{local_index.simple_url}"\ndefault = true\n\n'
    root = project(tmp_path / "ok", company)
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert indexes(root) == {"alpha": local_index.simple_url}

    down = project(tmp_path / "down", f'[[tool.uv.index]]\nname = "company"\nurl = "{DOWN}"\ndefault = true\n\n')
    refused = corral("lock", cwd=down)
    assert refused.exit_code != 0
    assert "127.0.0.1:9" in refused.stderr, "the project's index was asked (and is down), not PyPI"
    assert not (down / "pylock.toml").exists()


@pytest.mark.usefixtures("uv_reads_projects")
def test_an_explicit_index_serves_the_packages_its_sources_name(
    tmp_path: Path, corral: Corral, local_index: LocalIndex
) -> None:
    mirror = (
        f'[[tool.uv.index]]\nname = "mirror"\nurl = "{local_index.simple_url}"\nexplicit = true\n\n'
        '[tool.uv.sources]\nalpha = { index = "mirror" }\n\n'
    )
    root = project(tmp_path / "mirror", mirror)
    (root / "pyproject.toml").write_text(  # every other package from the default index: here the test index too
        (root / "pyproject.toml").read_text(encoding="utf-8") + f'index-url = "{local_index.simple_url}"\n',
        encoding="utf-8",
    )
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr  # was: Package `alpha` references an undeclared index: `mirror`
    assert indexes(root) == {"alpha": local_index.simple_url}


@pytest.mark.usefixtures("uv_reads_projects")
def test_a_python_the_projects_environments_leave_out_is_refused_not_given_an_empty_env(
    tmp_path: Path, corral: Corral, local_index: LocalIndex
) -> None:
    root = project(tmp_path / "envs", "[tool.uv]\nenvironments = [\"python_version >= '3.13'\"]\n\n")
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text(encoding="utf-8") + f'index-url = "{local_index.simple_url}"\n',
        encoding="utf-8",
    )
    refused = corral("sync", cwd=root)  # .python-version names 3.12
    assert refused.exit_code != 0
    assert "[tool.uv] environments (python_version >= '3.13') does not include CPython 3.12" in refused.stderr
    assert not (root / ".venv").exists()
    (root / ".python-version").write_text(str(pyenv_python("3.13")) + "\n", encoding="utf-8")
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "alpha" in indexes(root)
    # the lock is fresh and remembered so now: a pin back to 3.12 is refused still, the 3.13 env kept
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    again = corral("sync", cwd=root)
    assert again.exit_code != 0 and "does not include CPython 3.12" in again.stderr
    assert list((root / ".venv").glob("lib/python3.13/site-packages/alpha-*.dist-info"))
    text = (root / "pyproject.toml").read_text(encoding="utf-8")  # one marker as a string, as uv takes it too
    (root / "pyproject.toml").write_text(text.replace("[\"python_version >= '3.13'\"]", "\"python_version >= '3.13'\""))
    assert "does not include CPython 3.12" in corral("sync", cwd=root).stderr


def test_a_damaged_lock_stops_sync_and_run_and_lock_says_its_pins_are_lost(
    tmp_path: Path, corral: Corral, local_index: LocalIndex
) -> None:
    # a truncated pylock.toml (an interrupted copy) lost its inputs-hash and was taken for a stale one: sync
    # resolved anew, upgraded the env (alpha 1.0 -> 2.0) and blamed pyproject.toml
    root = project(tmp_path / "damaged", "", dependencies='["alpha==1.0"]')
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text(encoding="utf-8") + f'index-url = "{local_index.simple_url}"\n',
        encoding="utf-8",
    )
    assert corral("sync", cwd=root).exit_code == 0
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(pyproject.replace('"alpha==1.0"', '"alpha"'), encoding="utf-8")
    whole = (root / "pylock.toml").read_text(encoding="utf-8")
    cut_at_a_line = whole[: whole.index("[tool.corral]")]  # valid TOML, a lock, every package: only the hash lost
    for damaged in (whole[: whole.index("[[packages]]") + 40], "", cut_at_a_line):
        (root / "pylock.toml").write_text(damaged, encoding="utf-8")
        for command in (("sync",), ("run", "true")):
            refused = corral(*command, cwd=root)
            assert refused.exit_code != 0
            assert "pylock.toml looks damaged" in refused.stderr and "pyproject.toml changed" not in refused.stderr
            assert (root / "pylock.toml").read_text(encoding="utf-8") == damaged, "nothing was changed"
    relocked = corral("lock", cwd=root)  # asked for: resolved anew, and said so
    assert relocked.exit_code == 0, relocked.stderr
    assert "the old pylock.toml cannot be read, so its versions are not kept" in relocked.stderr


@pytest.mark.usefixtures("uv_reads_projects")
def test_a_folder_of_wheels_in_the_project_is_locked_relative_and_installed_in_any_clone(
    tmp_path: Path, corral: Corral, built_packages: dict[str, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `[tool.uv] find-links = ["wh"]`: the lock named file:///first/checkout/wh/... and its index as a PEP 503 index,
    # which no installer reads: `corral sync` could not install what it had locked, and every clone was stale
    monkeypatch.setenv("UV_OFFLINE", "1")  # the folder's files only: no index is asked, none may be
    root = project(tmp_path / "first", '[tool.uv]\nfind-links = ["wh"]\nno-index = true\n\n')
    (root / "wh").mkdir()
    for wheel in built_packages["alpha"]:
        shutil.copy(wheel, root / "wh" / wheel.name)
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    lock = (root / "pylock.toml").read_text(encoding="utf-8")
    assert 'path = "wh/alpha-2.0-py2.py3-none-any.whl"' in lock and str(tmp_path) not in lock, lock
    clone = tmp_path / "clone"
    shutil.copytree(root, clone, ignore=shutil.ignore_patterns(".venv"))
    synced = corral("sync", "--locked", cwd=clone)
    assert synced.exit_code == 0, synced.stderr
    (found,) = (clone / ".venv").glob("lib/python*/site-packages/alpha-2.0.dist-info/direct_url.json")
    assert str(clone / "wh") in found.read_text(encoding="utf-8"), "the clone's own file"
    assert corral("lock", cwd=clone).exit_code == 0
    assert (clone / "pylock.toml").read_text(encoding="utf-8") == lock


@pytest.mark.usefixtures("uv_reads_projects")
def test_outdated_asks_each_package_its_own_index(tmp_path: Path, corral: Corral, local_index: LocalIndex) -> None:
    # alpha comes from an explicit index; the default index is down: outdated asked the default index about it
    mirror = (
        f'[[tool.uv.index]]\nname = "mirror"\nurl = "{local_index.simple_url}"\nexplicit = true\n\n'
        '[tool.uv.sources]\nalpha = { index = "mirror" }\n\n'
    )
    root = project(tmp_path / "own", mirror, dependencies='["alpha<2"]')
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text + f'index-url = "{DOWN}"\n', encoding="utf-8")
    assert corral("sync", cwd=root).exit_code == 0
    shown = corral("outdated", cwd=root)
    assert shown.exit_code == 0, shown.stderr
    assert "alpha" in shown.stdout and "2.0" in shown.stdout, shown.stdout
