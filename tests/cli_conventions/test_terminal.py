"""Terminal manners, driven through a real pseudo-terminal (pexpect): live progress, NO_COLOR, whole paths."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from support.indexed import indexed_project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from support.index import LocalIndex

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.integration

ESCAPE = "\x1b"
LIVE = re.compile(r"\(step \d+, \d+\.\d s\)")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> Path:
    return indexed_project(tmp_path, monkeypatch, local_index)


def on_terminal(args: list[str], cwd: Path, **environ: str) -> tuple[int, str]:
    """Run corral in an 80-column pseudo-terminal; its exit code and everything it showed."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "40", **environ}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "corral", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 80),
    )
    text = child.read()
    child.close()
    return int(child.exitstatus or 0), text


def test_long_work_on_a_terminal_shows_a_live_line_with_phase_step_and_elapsed_time(root: Path) -> None:
    # CORRAL_PROGRESS_AFTER=0: the live line from the start (it waits ~1 s otherwise)
    code, text = on_terminal(["add", "alpha"], root, CORRAL_PROGRESS_AFTER="0")
    assert code == 0, text
    assert LIVE.search(text), text
    assert "+ alpha 2.0" in text


def test_without_a_terminal_progress_is_plain_lines(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "corral", "add", "alpha"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CORRAL_PROGRESS_AFTER": "0"},
    )
    assert done.returncode == 0, done.stderr
    assert ESCAPE not in done.stderr + done.stdout
    assert not LIVE.search(done.stderr)
    assert "resolving: 1 requirement with uv" in done.stderr


def test_no_color_means_no_escape_sequences_at_all(root: Path) -> None:
    code, text = on_terminal(["add", "alpha"], root, CORRAL_PROGRESS_AFTER="0", NO_COLOR="1")
    assert code == 0, text
    assert ESCAPE not in text
    code, text = on_terminal(["python", "list"], root, NO_COLOR="1")
    assert code == 0, text
    assert ESCAPE not in text


def test_tables_show_whole_paths_on_a_narrow_terminal(tmp_path: Path) -> None:
    # given an env whose path alone is wider than half the terminal
    deep = tmp_path / ("a-rather-long-folder-name-" * 2) / "env"
    made = subprocess.run(
        [sys.executable, "-m", "corral", "venv", str(deep), "--no-seed", "--python", str(pyenv_python("3.12"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    # when the inventory is listed in an 80-column terminal
    code, text = on_terminal(["envs", "list"], tmp_path, NO_COLOR="1")
    # then the path is there whole, on one line, not cut with an ellipsis
    assert code == 0, text
    assert str(deep) in text.replace("\r\n", "\n"), text
    assert "…" not in text


@pytest.fixture
def slow_index() -> Iterator[str]:
    """An index that answers nothing for a minute: the work stays in progress until it is interrupted."""

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(60)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def test_ctrl_c_during_live_progress_exits_130_and_gives_the_cursor_back(root: Path, slow_index: str) -> None:
    # given `corral add` waiting on a slow index, its live line on a terminal
    env = {**os.environ, "TERM": "xterm-256color", "CORRAL_PROGRESS_AFTER": "0", "UV_INDEX_URL": slow_index}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "corral", "add", "alpha"],
        cwd=str(root),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 80),
    )
    child.expect(LIVE)
    # when the user presses Ctrl-C
    child.sendintr()
    rest = child.read()
    child.wait()  # not close(): that would signal a process still on its way out
    # then corral stops with 130 (or dies of the SIGINT itself, which a shell reports as 130 too: uv may pass the
    # Ctrl-C on while corral is already leaving), the live line ends with the cursor shown again, and one line
    # says what happened
    assert child.exitstatus == 130 or child.signalstatus == signal.SIGINT, rest
    assert "\x1b[?25h" in rest
    assert "error: interrupted; nothing was left half done" in rest
