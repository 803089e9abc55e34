"""`corral export` writes the project itself as `uv export` does: `-e .`, never `name @ file:///abs/path`.

A package project (one with a [build-system], which `corral sync` installs editable) is the line `-e .` whether a
locked package needs it (`tester` below needs `demo`, so the lock holds a directory entry for the project) or not;
`--no-emit-project` leaves it out; a project without a build system has no line. The exported files go through a
real pip run from the project root, which is what `.` is taken from.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import write_project

from conftest import pyenv_python
from support.index import serve_index
from support.toml import tomllib
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration

PACKAGES = (Package("alpha", "1.0"), Package("tester", "1.0", requires=("demo",)))


@pytest.fixture
def index_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    folder = tmp_path / "pkgs"
    build_packages(folder, PACKAGES)
    with serve_index(folder) as index:
        monkeypatch.setenv("UV_INDEX_URL", index.simple_url)
        monkeypatch.setenv("PIP_INDEX_URL", index.simple_url)
        monkeypatch.setenv("CORRAL_SEED", "0")
        yield index.simple_url


def _project(root: Path, *, package: bool, groups: dict[str, list[str]] | None = None) -> Path:
    write_project(root, deps=["alpha"], package=package, groups=groups)
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return root


def _body(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def _pip(venv: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_project_a_locked_package_needs_is_dash_e_dot(tmp_path: Path, corral: Corral, index_url: str) -> None:
    root = _project(tmp_path / "proj", package=True, groups={"dev": ["tester"]})
    plain = corral("export", cwd=root)
    assert plain.exit_code == 0, plain.stderr
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    (entry,) = [p for p in lock["packages"] if p["name"] == "demo"]
    assert entry["directory"]["path"] == "."  # the entry that was written as `demo @ file:///...`
    assert _body(plain.stdout) == ["-e .", "alpha==1.0", "tester==1.0"]
    assert "file:" not in plain.stdout
    (root / "sub").mkdir()
    written = corral("export", "-o", "../out/req.txt", cwd=root / "sub")  # pip reads `.` from its cwd, as uv's
    assert written.exit_code == 0, written.stderr
    assert (root / "out" / "req.txt").read_text(encoding="utf-8") == plain.stdout
    left_out = corral("export", "--no-emit-project", cwd=root)
    assert _body(left_out.stdout) == ["alpha==1.0", "tester==1.0"], left_out.stdout
    no_dev = corral("export", "--no-dev", cwd=root)
    assert _body(no_dev.stdout) == ["-e .", "alpha==1.0"], no_dev.stdout


def test_a_package_project_is_emitted_unneeded_and_a_virtual_one_never(
    tmp_path: Path, corral: Corral, index_url: str
) -> None:
    package = _project(tmp_path / "package", package=True)
    virtual = _project(tmp_path / "virtual", package=False, groups={"dev": ["tester"]})
    assert _body(corral("export", cwd=package).stdout) == ["-e .", "alpha==1.0"]
    assert _body(corral("export", "--no-emit-project", cwd=package).stdout) == ["alpha==1.0"]
    done = corral("export", cwd=virtual)  # sync installs no virtual project: no line for it, named or not
    assert done.exit_code == 0, done.stderr
    assert "-e ." not in _body(done.stdout) and "file:" not in done.stdout


def test_pip_installs_the_export_from_the_project_root(
    tmp_path: Path, corral: Corral, index_url: str, clean_env: dict[str, str]
) -> None:
    root = _project(tmp_path / "proj", package=True, groups={"dev": ["tester"]})
    assert corral("export", "-o", "req.txt", cwd=root).exit_code == 0
    venv = tmp_path / "pipenv"
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", str(venv)], check=True)
    done = _pip(venv, "--index-url", index_url, "-r", "req.txt", cwd=root, env=clean_env)
    assert done.returncode == 0, done.stderr
    value = subprocess.run([str(venv / "bin/python"), "-c", "import demo, tester; print(demo.VALUE)"], check=False)
    assert value.returncode == 0

    hashed = corral("export", "--hashes", "-o", "hashed.txt", cwd=root)
    assert hashed.exit_code == 0, hashed.stderr
    assert _body((root / "hashed.txt").read_text(encoding="utf-8"))[0] == "-e ."  # as `uv export` writes it
    assert "--no-emit-project" in hashed.stderr  # the way out, told: pip refuses the line in hash-checking mode
    fresh = tmp_path / "hashenv"
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", str(fresh)], check=True)
    refused = _pip(fresh, "--index-url", index_url, "-r", "hashed.txt", cwd=root, env=clean_env)
    assert refused.returncode != 0 and "no single file to hash" in refused.stderr, refused.stderr
    bare = corral("export", "--hashes", "--no-emit-project", "-o", "bare.txt", cwd=root)
    assert bare.exit_code == 0 and "warning" not in bare.stderr, bare.stderr
    checked = _pip(
        fresh, "--index-url", index_url, "--require-hashes", "--no-deps", "-r", "bare.txt", cwd=root, env=clean_env
    )
    assert checked.returncode == 0, checked.stderr
    itself = _pip(fresh, "--no-deps", "-e", ".", cwd=root, env=clean_env)
    assert itself.returncode == 0, itself.stderr
    works = subprocess.run(
        [str(fresh / "bin/python"), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    assert works.returncode == 0, works.stdout
