"""Output that cannot be written is no crash (cli.streams): with stderr on a full device the command runs to its end
silently; with stdout on one it runs to its end too and then says so on stderr ("cannot write output: ... (stdout)"),
exit 1. Either way the env and the lock are complete (a second sync has nothing to do), never half made.

Each test drives the real CLI in a subprocess, its streams opened on /dev/full (every write: ENOSPC).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import IO

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)"),
]


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    return root


def _run(
    *args: str, cwd: Path, url: str, stdout: int | IO[str], stderr: int | IO[str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        corral_cmd(*args),
        cwd=cwd,
        env=subprocess_environ(url, CORRAL_SEED="false"),
        stdout=stdout,
        stderr=stderr,
        text=True,
        check=False,
        timeout=300,
    )


def _complete(root: Path, url: str) -> None:
    """The env matches the lock: a second sync (streams fine) finds nothing to do."""
    again = _run("sync", "--json", cwd=root, url=url, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["data"]["noop"] is True
    assert (root / "pylock.toml").is_file()


def test_a_full_stderr_is_no_crash(tmp_path: Path, local_index: object) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = _project(tmp_path)
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _run("sync", cwd=root, url=url, stdout=subprocess.PIPE, stderr=full)
    assert done.returncode == 0
    _complete(root, url)
    # and the no-op path, which writes "nothing to do" on stderr, as well
    with open("/dev/full", "w", encoding="utf-8") as full:
        assert _run("sync", cwd=root, url=url, stdout=subprocess.PIPE, stderr=full).returncode == 0


@pytest.mark.parametrize("argv", [["sync", "--json"], ["lock", "--json"], ["info"]])
def test_a_full_stdout_is_reported_once_and_the_work_is_done(
    tmp_path: Path, local_index: object, argv: list[str]
) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = _project(tmp_path)
    if argv[0] == "info":
        assert _run("sync", cwd=root, url=url, stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode == 0
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _run(*argv, cwd=root, url=url, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "free some space" not in done.stderr  # not the disk's fault: stdout's
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    said = "error: cannot write output: No space left on device (stdout); "
    assert errors == [said + "the command itself is done, only what it printed is lost"]
    if argv[0] == "lock":
        assert (root / "pylock.toml").is_file()
        assert not (root / ".venv").exists()
    else:
        _complete(root, url)


def test_both_streams_full_is_still_an_exit_code(tmp_path: Path, local_index: object) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root = _project(tmp_path)
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _run("sync", "--json", cwd=root, url=url, stdout=full, stderr=full)
    assert done.returncode == 1
    _complete(root, url)
