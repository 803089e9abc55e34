"""cli.quick pauses the cyclic collector for start-up; the command's own work runs with it as the caller had it."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from corral.cli.quick import pause_collector, resume_collector


def test_paused_for_start_up_and_resumed_for_the_command() -> None:
    assert gc.isenabled()
    try:
        pause_collector()
        assert not gc.isenabled()
        resume_collector()
        assert gc.isenabled()
        resume_collector()  # a second resume changes nothing
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_caller_that_had_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        pause_collector()
        resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_full_command_runs_with_the_collector_on(tmp_path: Path) -> None:
    """cli.main's dispatch resumes it before the command's handle (a real process; `info`'s handle reports it)."""
    code = (
        "import gc, sys\n"
        "from corral.cli import quick\n"
        "quick.pause_collector()\n"
        "import corral.cli.info_cmd as command\n"
        "command.handle = lambda args, ctx, out: print('collector', gc.isenabled()) or 0\n"
        "sys.argv = ['corral', 'info']\n"
        "from corral.cli.main import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path
    )
    assert "collector True" in done.stdout, done.stderr
