"""`cli.streams.point_of_no_return` changes the Ctrl-C handler only in corral's own process.

A test (or a library caller) running `cli.main.main` in-process keeps its SIGINT handler: an ignored SIGINT would be
inherited by every program it starts afterwards (it broke the Ctrl-C trials that ran after an in-process `lock`).
"""

from __future__ import annotations

import signal
import subprocess
import sys

from corral.cli import streams


def test_in_process_the_handler_is_left_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    streams.point_of_no_return()
    assert signal.getsignal(signal.SIGINT) is before


def test_in_the_console_script_the_report_is_shielded() -> None:
    code = (
        "import signal\n"
        "from corral.cli import streams\n"
        "streams.guard_streams()\n"
        "streams.point_of_no_return()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
