"""A Ctrl-C during `corral lock -U --json` (and `sync --json`) gives one consistent outcome: exit 130, no
`"ok": true`, pylock.toml as it was or complete; or, once the work is done and only the report is left
(`cli.streams.point_of_no_return`), the report and exit 0. Never the report followed by a death by SIGINT.

The command is paused at a named checkpoint and interrupted there: CORRAL_FAULT_LOG is a fifo, and a checkpoint's
open() of it blocks until this test reads it, so SIGINT lands at (or just after) that point, not at a random time.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ
from support.toml import tomllib

pytestmark = pytest.mark.integration

EXIT_INTERRUPTED = 130


def _interrupt_at(
    point: str, argv: list[str], *, cwd: Path, environ: dict[str, str], fifo: Path
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run corral, send it SIGINT as it passes checkpoint `point`; the result and the checkpoints seen."""
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        corral_cmd(*argv),
        cwd=cwd,
        env=environ | {"CORRAL_FAULT_LOG": str(fifo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a checkpoint's open() waits for this
        try:
            data = b""
            ready, _, _ = select.select([fd], [], [], 0.05)
            while ready:  # all that came (a writer whose line this close would drop retries: infra.faults)
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:  # readable by the last writer's hang-up, and a new writer not written yet
                    chunk = b""
                if not chunk:
                    break
                data += chunk
                ready, _, _ = select.select([fd], [], [], 0)
        finally:
            os.close(fd)  # the next checkpoint waits again, until the next round
        for line in data.decode().splitlines():
            seen.append(line.split(" ", 1)[1])
            if fnmatchcase(seen[-1], point) and seen.count(seen[-1]) == 1:
                proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seen


@pytest.mark.parametrize(
    "point",
    [
        "engine:uv lock",
        "engine-done:uv lock",
        "engine-done:uv export",
        "write:pylock.toml:before-rename",
        "write:pylock.toml:after-rename",
    ],
)
def test_a_ctrl_c_before_the_report_is_130_and_no_ok(tmp_path: Path, local_index: object, point: str) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root, environ, before = _locked_project(tmp_path, url)
    done, seen = _interrupt_at(point, ["lock", "-U", "--json"], cwd=root, environ=environ, fifo=tmp_path / "log")
    assert point in seen
    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert '"ok": true' not in done.stdout
    assert json.loads(done.stdout)["error"]["exit_code"] == EXIT_INTERRUPTED
    assert "Traceback" not in done.stderr
    assert (root / "pylock.toml").read_bytes() == before or _locked(root) == [("alpha", "2.0")]


@pytest.mark.parametrize("command", ["lock", "sync"])
def test_a_ctrl_c_during_the_report_is_ignored(tmp_path: Path, local_index: object, command: str) -> None:
    url = local_index.simple_url  # type: ignore[attr-defined]
    root, environ, _ = _locked_project(tmp_path, url)
    argv = ["lock", "-U", "--json"] if command == "lock" else ["sync", "--json"]
    done, seen = _interrupt_at("report", argv, cwd=root, environ=environ, fifo=tmp_path / "log")
    assert "report" in seen, "the command reaches its point of no return"
    assert (done.returncode, json.loads(done.stdout)["ok"]) == (0, True), done.stderr
    assert _locked(root) == [("alpha", "2.0" if command == "lock" else "1.1")]  # (a sync keeps the pin)
    if command == "sync":
        again = subprocess.run(
            corral_cmd("sync", "--json"), cwd=root, env=environ, capture_output=True, text=True, check=False
        )
        assert json.loads(again.stdout)["data"]["noop"] is True  # the env is complete


def _locked_project(tmp_path: Path, url: str) -> tuple[Path, dict[str, str], bytes]:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha<2"), encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    environ = subprocess_environ(url, CORRAL_SEED="false")
    first = subprocess.run(corral_cmd("lock"), cwd=root, env=environ, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert _locked(root) == [("alpha", "1.1")]
    # the bound goes: `lock -U` writes alpha 2.0
    (root / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    return root, environ, (root / "pylock.toml").read_bytes()


def _locked(root: Path) -> list[tuple[str, str]]:
    return [(p["name"], p["version"]) for p in tomllib.loads((root / "pylock.toml").read_text())["packages"]]
