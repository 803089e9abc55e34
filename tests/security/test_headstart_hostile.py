"""The head start of a rebuild (`cli.headstart`) against a project that changed under its rebuild record.

The record names the env's path as the last rebuild saw it. A project is untrusted: it can ship a link on the way
to its env (`[tool.corral] venv-dir = "envs/main"` with `envs -> somewhere`), or put a file or a link where the env
was. The head start must then do nothing at all (no folder made, nothing started): the full path judges (it
refuses a venv-dir leading out of the project, and never replaces what it did not make). Each test runs the real
CLI in a subprocess over the local test index; what a process did is read from infra.faults' checkpoint log.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # the rebuild record is never written while an input is younger than two seconds
_PYPROJECT = """\
[project]
name = "demo"
version = "0.1"
requires-python = ">=3.9"
dependencies = ["beta"]

[tool.corral]
venv-dir = "envs/main"
"""


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def events(log: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


@pytest.fixture
def recorded(tmp_path: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A project whose env lies behind a link inside it, rebuilt once after its inputs settled (the record written).

    A link on the way to the env makes the head start stand aside altogether (the full path resolves it).
    """
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "envs").symlink_to("sub")
    (root / "pyproject.toml").write_text(_PYPROJECT, encoding="utf-8")
    for args in (("lock",), ("sync",)):
        done = cli(root, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    time.sleep(_SETTLE)
    shutil.rmtree(root / "sub" / "main")
    done = cli(root, "sync")  # writes the record
    assert done.returncode == 0, done.stderr[-3000:]
    return root, log


def test_a_link_swapped_on_the_way_to_the_env_gets_no_head_start(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = recorded
    assert list((tmp_path / "home" / "cache" / "quick-records").glob("*.rebuild.txt")), "the rebuild record"
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(root / "sub" / "main")
    (root / "envs").unlink()
    (root / "envs").symlink_to(outside)  # what a repository update can ship: its env now resolves out of it
    log.unlink()
    done = cli(root, "sync")
    assert done.returncode != 0
    assert "outside the project" in done.stderr
    seen = events(log)
    assert not [e for e in seen if e.startswith(("headstart:", "engine:"))], seen
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("kind", ["file", "dangling-link", "link-to-folder"])
def test_something_at_the_env_path_is_left_alone(recorded: tuple[Path, Path], tmp_path: Path, kind: str) -> None:
    root, log = recorded
    env = root / "sub" / "main"
    shutil.rmtree(env)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep", encoding="utf-8")
    if kind == "file":
        env.write_text("mine", encoding="utf-8")
    elif kind == "dangling-link":
        env.symlink_to(tmp_path / "nowhere")
    else:
        env.symlink_to(victim)
    log.unlink()
    done = cli(root, "sync")
    seen = events(log)
    assert not [e for e in seen if e.startswith("headstart:")], seen
    assert done.returncode != 0 or kind == "link-to-folder", done.stderr
    if kind == "file":
        assert env.read_text(encoding="utf-8") == "mine"
    else:
        assert env.is_symlink()
    assert os.listdir(victim) == ["keep.txt"]
    assert not (tmp_path / "nowhere").exists()
