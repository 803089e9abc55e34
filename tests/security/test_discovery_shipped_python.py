"""Interpreter discovery starts no `python3` a repository ships, whatever the user's PATH holds.

Discovery probes every `python*` it finds on PATH (it runs each one once). A relative PATH entry (`.`, `bin`,
`node_modules/.bin`) names a folder of wherever corral runs, so a repository's own `python3` was probed:
`corral python list` ran it, and `corral sync` then handed uv the relative path. An absolute PATH entry inside a
project (direnv's `PATH_add bin`) is left out when the finder is told the project (`untrusted`). The shipped
program writes a marker: each test shows the marker is written where the line is not drawn.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import pyenv_python
from corral.discovery.finder import InterpreterFinder
from corral.discovery.places import candidate_folders
from corral.discovery.prober import CachedProber
from support.fixtures import isolated_environ


def _project_shipping_python(tmp_path: Path) -> tuple[Path, Path]:
    """A project holding `python3` and `bin/python3`: scripts that write a marker, then run a real Python."""
    root = tmp_path / "proj"
    (root / "bin").mkdir(parents=True)
    marker = tmp_path / "PWNED"
    script = f'#!/bin/sh\necho ran >> {marker}\nexec {pyenv_python("3.12")} "$@"\n'
    for path in (root / "python3", root / "bin" / "python3"):
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', encoding="utf-8")
    return root, marker


def _environ(path: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": path,
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "XDG_DATA_HOME": str(tmp_path / "no-uv"),
        "HOME": str(tmp_path),
    }


@pytest.mark.parametrize("entry", [".", "bin", "./bin"])
def test_a_relative_path_entry_is_not_searched(tmp_path: Path, entry: str) -> None:
    root, marker = _project_shipping_python(tmp_path)
    real = str(pyenv_python("3.12").parent)
    finder = InterpreterFinder(CachedProber(None), _environ(f"{entry}{os.pathsep}{real}", tmp_path))
    here = os.getcwd()
    os.chdir(root)
    try:
        found = finder.all()
    finally:
        os.chdir(here)
    assert not marker.exists(), "discovery ran the repository's python3"
    assert all(os.path.isabs(i.path) and not i.path.startswith(str(root)) for i in found)
    assert any(os.path.realpath(i.path) == os.path.realpath(pyenv_python("3.12")) for i in found)
    assert all(folder.is_absolute() for folder in candidate_folders(_environ(f"{entry}{os.pathsep}{real}", tmp_path)))


def test_an_absolute_entry_inside_an_untrusted_project_is_not_probed(tmp_path: Path) -> None:
    root, marker = _project_shipping_python(tmp_path)
    environ = _environ(f"{root / 'bin'}{os.pathsep}{pyenv_python('3.12').parent}", tmp_path)
    finder = InterpreterFinder(CachedProber(None), environ, untrusted=[os.path.realpath(root)])
    guarded = finder.all()
    assert not marker.exists()
    assert guarded
    assert not finder.knows(root / "bin" / "python3")  # a project file naming it is refused (services.python)
    assert finder.knows(pyenv_python("3.12"))
    assert all(not os.path.realpath(i.path).startswith(os.path.realpath(root) + os.sep) for i in guarded)
    InterpreterFinder(CachedProber(None), environ).all()
    assert marker.exists(), "without the project named, the program is probed: the check above proves something"


def test_python_list_with_dot_on_path_runs_nothing_the_project_ships(tmp_path: Path) -> None:
    """The CLI, as a user with `.` on PATH runs it in a cloned repository."""
    root, marker = _project_shipping_python(tmp_path)
    environ = isolated_environ()
    environ |= {
        "PATH": f".{os.pathsep}{pyenv_python('3.12').parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CORRAL_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "corral", "python", "list"],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert "3.12" in done.stdout


@pytest.mark.parametrize(
    ("path_head", "argv"),
    [
        ("{root}/bin", ["python", "list"]),  # direnv's PATH_add bin: an absolute entry inside the project
        (".", ["init", "--name", "shipped"]),  # `corral init` picks the user's python3 from PATH
    ],
)
def test_the_cli_runs_nothing_the_project_ships(tmp_path: Path, path_head: str, argv: list[str]) -> None:
    root, marker = _project_shipping_python(tmp_path)
    if argv[0] == "init":
        (root / "pyproject.toml").unlink()  # init makes one
    environ = isolated_environ()
    head = path_head.format(root=root)
    environ |= {
        "PATH": f"{head}{os.pathsep}{pyenv_python('3.12').parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CORRAL_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "corral", *argv],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), f"corral {' '.join(argv)} ran the repository's python3"
