"""`corral -C DIR run CMD` acts as if started in DIR: CMD runs there, and a script or `./tool` is found there.

Before round 12 the env and settings were DIR's but CMD ran in the working folder, and `-C p1 run top.py` said
"command not found: top.py" (it looked for top.py beside the caller). Each test runs the real CLI in a child.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_quick_path import corral, messages

from conftest import pyenv_python

pytestmark = pytest.mark.integration

_WHERE = "import json, os, sys\nprint(json.dumps([os.getcwd(), sys.prefix]))\n"


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding project `p1` (no dependencies: nothing to download), the caller's working folder."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    project = tmp_path / "p1"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p1"\nversion = "0"\ndependencies = []\n')
    (project / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    (project / "top.py").write_text(_WHERE, encoding="utf-8")
    tool = project / "tool"
    tool.write_text('#!/bin/sh\necho "tool in $(pwd -P)"\n', encoding="utf-8")
    tool.chmod(0o755)
    return tmp_path


def test_cmd_runs_in_dir_and_finds_its_script_and_tool_there(outside: Path) -> None:
    project = (outside / "p1").resolve()
    done = corral(outside, "-C", "p1", "run", "top.py")
    assert done.returncode == 0, messages(done)
    where, prefix = json.loads(done.stdout)
    assert where == str(project)
    assert prefix == str(project / ".venv"), "the project's env"
    shell = corral(outside, "-C", "p1", "run", "./tool")
    assert shell.returncode == 0, messages(shell)
    assert shell.stdout.strip() == f"tool in {project}"
    python = corral(outside, "-C", "p1", "run", "python", "-c", "import os; print(os.getcwd())")
    assert python.stdout.strip() == str(project)
    assert not (outside / ".venv").exists()


def test_a_pep723_script_under_dir_runs_there_in_its_own_env(outside: Path) -> None:
    (outside / "p1" / "s.py").write_text("# /// script\n# dependencies = []\n# ///\n" + _WHERE, encoding="utf-8")
    for _ in range(2):  # built, then found ready (the fast path)
        done = corral(outside, "-C", "p1", "run", "s.py")
        assert done.returncode == 0, messages(done)
        where, prefix = json.loads(done.stdout)
        assert where == str((outside / "p1").resolve())
        assert Path(prefix).parent.name == "envs", "the script's cached env"


def test_x_runs_its_tool_in_dir_too(outside: Path, local_index: object) -> None:
    index = {"UV_INDEX_URL": local_index.simple_url, "UV_OFFLINE": "0"}  # type: ignore[attr-defined]
    code = "import os; print(os.getcwd())"
    done = corral(outside, "-C", "p1", "x", "--from", "cowsay-lite", "python", "-c", code, **index)
    assert done.returncode == 0, messages(done)
    assert done.stdout.strip() == str((outside / "p1").resolve())
