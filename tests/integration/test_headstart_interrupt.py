"""A Ctrl-C during a head start (`cli.headstart`), before `cli.main` has taken over: one line, exit 130, undone.

The head start begins the rebuild (locks, `creating` journal, the env laid out, uv started) before `cli.main` is
even imported, so for the ~0.1-0.3 s of those imports a Ctrl-C used to print the interpreter's traceback of
whatever import it cut (argparse, typing, pathlib...) instead of main's "interrupted" line. `cli.quick.run` now
answers it as main does: the one line, exit 130, and the exit handlers undo what the head start made.

The Ctrl-C is made to land there, every time, by the fault log being a fifo nobody reads yet: the head start's
first log line (`infra.headstart.log`, right after the env is laid out) waits in `open` until the SIGINT ends it.
Everything else is real: the CLI in a subprocess, the local index, uv, the record of the previous rebuild.
"""

# The fixtures come from the support plugin and test_headstart; parameters shadow nothing here.
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_headstart import cli, events, recorded  # noqa: F401 - a fixture
from test_sync_one_install import cached_index  # noqa: F401 - a fixture (recorded's)

if TYPE_CHECKING:
    from support.index import LocalIndex  # noqa: F401 - the fixtures' types

pytestmark = pytest.mark.integration


def test_a_ctrl_c_before_main_takes_over_is_one_line_and_undone(recorded: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    root, log = recorded
    env = root / ".venv"
    shutil.rmtree(env)
    log.unlink(missing_ok=True)
    os.mkfifo(log)
    journals = tmp_path / "home" / "data" / "journals"
    child = subprocess.Popen(
        [sys.executable, "-m", "corral", "sync"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - as a terminal starts it
    )
    reader = None
    try:
        deadline = time.monotonic() + 120
        while not (env / "pyvenv.cfg").exists():  # laid out: the head start's first log line comes next
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "no head start"
            time.sleep(0.01)
        time.sleep(0.3)  # in `open` of the fifo by now (or just before it: a Ctrl-C there is the same case)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:  # let a writer through rather than leave a process behind
            reader = os.open(log, os.O_RDONLY | os.O_NONBLOCK)
            child.kill()
            child.communicate()
        if reader is not None:
            os.close(reader)
    assert "Traceback" not in err, err
    assert child.returncode == 130, err  # main's exit code for an interrupt
    assert "interrupted" in err
    assert not env.exists(), "the head start's env is removed at exit"
    assert not any(journals.iterdir()), "and its creating journal"
    log.unlink()
    cli(root, "sync", HEADSTART_TEST_ROUND="1")  # the head start again, all the way (a new environment: no replay)
    assert "headstart:adopted" in events(log)
    assert "nothing to do" in cli(root, "sync").stderr
